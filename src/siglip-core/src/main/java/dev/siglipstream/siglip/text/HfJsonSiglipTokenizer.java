package dev.siglipstream.siglip.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A {@code tokenizer.json} (fast, Rust) tokenizer as SigLIP 2 checkpoints ship it (Gemma, pad id 0), with
 * {@code padding="max_length", truncation=True}: the Rust tokenizer truncates (keeping the post-processor's
 * special tokens), padding is added here on {@code padding_side} with the configured pad token. For the
 * Gemma/Llama classes the post-processor is rebuilt from {@code add_bos_token}/{@code add_eos_token}, as
 * transformers' fast classes do at load time. {@link #tokenize} shows the pieces after truncation.
 *
 * <p>Thread-safe: the Rust tokenizer encodes through a shared reference, and a read/write lock keeps
 * {@link #close()} from freeing it under a running call. This object owns the native tokenizer.
 */
final class HfJsonSiglipTokenizer implements SiglipTokenizer {
    static final String TOKENIZER_JSON = "tokenizer.json";
    /** Fast tokenizers whose transformers class rebuilds the post-processor from add_bos/add_eos_token. */
    private static final Set<String> BOS_EOS_CLASSES =
            Set.of("GemmaTokenizer", "GemmaTokenizerFast", "LlamaTokenizer", "LlamaTokenizerFast");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HuggingFaceTokenizer tokenizer;
    private final int maxLength;
    private final int padId;
    private final int eosId;
    private final boolean padLeft;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    private HfJsonSiglipTokenizer(HuggingFaceTokenizer tokenizer, int maxLength, int padId, int eosId,
                                  boolean padLeft) {
        this.tokenizer = tokenizer;
        this.padLeft = padLeft;
        this.maxLength = maxLength;
        this.padId = padId;
        this.eosId = eosId;
    }

    static HfJsonSiglipTokenizer load(Path dir, TokenizerSettings settings) throws IOException {
        dev.siglipstream.siglip.internal.NativeLibraryLoad.avoidJnaCudaProbe();
        Path file = dir.resolve(TOKENIZER_JSON);
        JsonNode json;
        try {
            json = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IOException("Cannot parse " + file + ": " + e.getOriginalMessage(), e);
        }
        if (json == null || !json.isObject() || !json.has("model")) {
            throw new IOException(file + " is not a Hugging Face tokenizer.json: no \"model\" object");
        }
        int padId = tokenId(json, settings, settings.pad().content());
        if (padId < 0) {
            throw new IOException("Pad token \"" + settings.pad().content() + "\" (pad_token of "
                    + dir.resolve(TokenizerSettings.TOKENIZER_CONFIG) + ", default <pad>) is not in " + file);
        }
        int eosId = tokenId(json, settings, settings.eos().content());
        JsonNode config = TokenizerSettings.readJson(dir.resolve(TokenizerSettings.TOKENIZER_CONFIG));
        boolean bosEosClass = BOS_EOS_CLASSES.contains(config.path("tokenizer_class").asText(""));
        if (bosEosClass) {
            rebuildPostProcessor((ObjectNode) json, settings, config, file);
        }
        // padding_side from the config; without one, the class default (GemmaTokenizerFast: "left").
        String side = config.path("padding_side").asText(bosEosClass ? "left" : "right");
        if (!side.equals("left") && !side.equals("right")) {
            throw new IOException("padding_side in " + dir.resolve(TokenizerSettings.TOKENIZER_CONFIG)
                    + " must be \"left\" or \"right\", got \"" + side + "\"");
        }
        String n = Integer.toString(settings.maxLength());
        // Padding is done here with the configured pad id; the library only truncates (post-processor aware).
        Map<String, String> options = Map.of(
                "addSpecialTokens", "true",
                "truncation", "true",
                "padding", "false",
                "maxLength", n,
                "modelMaxLength", n);
        HuggingFaceTokenizer tokenizer;
        try (InputStream in = new ByteArrayInputStream(JSON.writeValueAsBytes(json))) {
            tokenizer = HuggingFaceTokenizer.newInstance(in, options);
        } catch (RuntimeException e) {
            throw new IOException("Hugging Face tokenizers cannot load " + file + ": " + e.getMessage(), e);
        }
        return new HfJsonSiglipTokenizer(tokenizer, settings.maxLength(), padId, eosId, side.equals("left"));
    }

    /**
     * As {@code GemmaTokenizerFast.update_post_processor}: the template is {@code [bos] $A [eos]} following
     * {@code add_bos_token} (default true) and {@code add_eos_token} (default false).
     */
    private static void rebuildPostProcessor(ObjectNode json, TokenizerSettings settings, JsonNode config,
                                             Path file) throws IOException {
        boolean addBos = settings.addBosToken() == null || settings.addBosToken();
        boolean addEos = settings.addEosToken() != null && settings.addEosToken();
        String bos = tokenContent(config.get("bos_token"), "<bos>");
        ArrayNode single = JSON.createArrayNode();
        ArrayNode pair = JSON.createArrayNode();
        ObjectNode specials = JSON.createObjectNode();
        if (addBos) {
            addSpecial(json, settings, bos, single, pair, specials, file);
        }
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        if (addEos) {
            addSpecial(json, settings, settings.eos().content(), single, null, specials, file);
            pair.add(single.get(single.size() - 1).deepCopy());
        }
        if (addBos) {
            pair.add(pair.get(0).deepCopy());
            ((ObjectNode) pair.get(pair.size() - 1).get("SpecialToken")).put("type_id", 1);
        }
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        if (addEos) {
            pair.add(single.get(single.size() - 1).deepCopy());
            ((ObjectNode) pair.get(pair.size() - 1).get("SpecialToken")).put("type_id", 1);
        }
        ObjectNode post = JSON.createObjectNode();
        post.put("type", "TemplateProcessing");
        post.set("single", single);
        post.set("pair", pair);
        post.set("special_tokens", specials);
        json.set("post_processor", post);
    }

    private static void addSpecial(JsonNode json, TokenizerSettings settings, String token, ArrayNode single,
                                   ArrayNode pair, ObjectNode specials, Path file) throws IOException {
        int id = tokenId(json, settings, token);
        if (id < 0) {
            throw new IOException("Special token \"" + token + "\" of the post-processor is not in " + file);
        }
        ObjectNode ref = JSON.createObjectNode();
        ref.putObject("SpecialToken").put("id", token).put("type_id", 0);
        single.add(ref);
        if (pair != null) pair.add(ref.deepCopy());
        ObjectNode entry = specials.putObject(token);
        entry.put("id", token);
        entry.putArray("ids").add(id);
        entry.putArray("tokens").add(token);
    }

    private static String tokenContent(JsonNode node, String dflt) {
        if (node == null || node.isNull()) return dflt;
        return node.isTextual() ? node.asText() : node.path("content").asText(dflt);
    }

    /** The id of {@code token}: added_tokens_decoder, then tokenizer.json's added_tokens, then its vocabulary. */
    private static int tokenId(JsonNode json, TokenizerSettings settings, String token) {
        for (var e : settings.addedTokensDecoder().entrySet()) {
            if (e.getValue().content().equals(token)) return e.getKey();
        }
        for (JsonNode t : json.path("added_tokens")) {
            if (token.equals(t.path("content").asText(null))) return t.path("id").asInt();
        }
        JsonNode vocab = json.path("model").path("vocab");
        if (vocab.isObject() && vocab.has(token)) {
            return vocab.get(token).asInt();
        }
        if (vocab.isArray()) { // Unigram: [[piece, score], ...]
            for (int i = 0; i < vocab.size(); i++) {
                if (token.equals(vocab.get(i).path(0).asText(null))) return i;
            }
        }
        return -1;
    }

    @Override
    public long[][] encode(List<String> texts) {
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) throw new IllegalArgumentException("texts[" + i + "] is null");
        }
        if (texts.isEmpty()) {
            return new long[0][];
        }
        lock.readLock().lock();
        try {
            ensureOpen();
            Encoding[] encodings = tokenizer.batchEncode(texts, true, false);
            long[][] out = new long[encodings.length][];
            for (int i = 0; i < encodings.length; i++) {
                long[] ids = encodings[i].getIds();
                long[] row = new long[maxLength];
                Arrays.fill(row, padId);
                int n = Math.min(ids.length, maxLength);
                System.arraycopy(ids, 0, row, padLeft ? maxLength - n : 0, n);
                out[i] = row;
            }
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public List<String> tokenize(String text) {
        lock.readLock().lock();
        try {
            ensureOpen();
            return List.of(tokenizer.encode(text, false, false).getTokens());
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public int maxLength() {
        return maxLength;
    }

    @Override
    public int padId() {
        return padId;
    }

    @Override
    public int eosId() {
        return eosId;
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                tokenizer.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("SiglipTokenizer is closed");
    }
}
