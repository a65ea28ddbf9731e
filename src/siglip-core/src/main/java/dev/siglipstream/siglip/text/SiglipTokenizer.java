package dev.siglipstream.siglip.text;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * SigLIP's text tokenizer, with transformers' semantics: every row is padded (with the pad token) and
 * truncated (keeping {@code </s>} last) to exactly {@link #maxLength()} ids, as
 * {@code tokenizer(texts, padding="max_length", truncation=True)} gives.
 *
 * <p>Usage:
 * <pre>{@code
 * try (SiglipTokenizer tokenizer = SiglipTokenizer.load(modelDir, 64)) {
 *     long[][] inputIds = tokenizer.encode(List.of("a photo of a cat", "a photo of a dog"));
 * }
 * }</pre>
 *
 * <p>Implementations are thread-safe: {@link #encode(List)} may be called from many threads at once. The
 * object owns a native tokenizer; whoever loads it closes it.
 */
public interface SiglipTokenizer extends AutoCloseable {

    /**
     * Tokenizes a batch.
     *
     * @return one row per text, same order, each exactly {@link #maxLength()} ids long
     */
    long[][] encode(List<String> texts);

    /** Tokenizes one text into exactly {@link #maxLength()} ids. */
    default long[] encode(String text) {
        return encode(List.of(text))[0];
    }

    /** The fixed row length: {@code model_max_length} of {@code tokenizer_config.json}, else the fallback. */
    int maxLength();

    /** The id rows are padded with ({@code </s>} for SigLIP, {@code <pad>} = 0 for SigLIP 2). */
    int padId();

    /** The id of the end-of-sequence token, or -1 when the tokenizer has none. */
    int eosId();

    /** The tokens of {@code text} before special tokens, padding and truncation (for debugging). */
    List<String> tokenize(String text);

    /** Frees the native tokenizer; later calls fail with {@link IllegalStateException}. Idempotent. */
    @Override
    void close();

    /**
     * Loads the tokenizer of a Hugging Face model folder: {@code spiece.model} (SigLIP, slow
     * {@code SiglipTokenizer} semantics) when present, else {@code tokenizer.json} (SigLIP 2, the fast
     * tokenizer's semantics). {@code tokenizer_config.json} and {@code special_tokens_map.json} are read when
     * present.
     *
     * @param modelDir          the model folder
     * @param fallbackMaxLength the row length when {@code tokenizer_config.json} gives no usable
     *                          {@code model_max_length} (take it from config.json's text
     *                          {@code max_position_embeddings})
     * @throws IOException when neither file is there, or a file cannot be read or parsed
     */
    static SiglipTokenizer load(Path modelDir, int fallbackMaxLength) throws IOException {
        if (!Files.isDirectory(modelDir)) {
            throw new IOException("Tokenizer folder " + modelDir + " does not exist or is not a directory");
        }
        if (Files.isRegularFile(modelDir.resolve(SentencePieceSiglipTokenizer.MODEL_FILE))) {
            TokenizerSettings settings = TokenizerSettings.read(modelDir, fallbackMaxLength, "</s>");
            return SentencePieceSiglipTokenizer.load(modelDir, settings);
        }
        if (Files.isRegularFile(modelDir.resolve(HfJsonSiglipTokenizer.TOKENIZER_JSON))) {
            TokenizerSettings settings = TokenizerSettings.read(modelDir, fallbackMaxLength, "<pad>");
            return HfJsonSiglipTokenizer.load(modelDir, settings);
        }
        throw new IOException("No tokenizer in " + modelDir + ": expected " + SentencePieceSiglipTokenizer.MODEL_FILE
                + " (SigLIP) or " + HfJsonSiglipTokenizer.TOKENIZER_JSON + " (SigLIP 2), found neither");
    }
}
