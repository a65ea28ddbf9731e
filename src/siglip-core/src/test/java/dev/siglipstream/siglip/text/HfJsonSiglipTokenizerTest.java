package dev.siglipstream.siglip.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code tokenizer.json} path (SigLIP 2): a small real WordLevel tokenizer run by Hugging Face tokenizers. */
class HfJsonSiglipTokenizerTest {
    /** Ids: <pad> 0, <eos> 1, <bos> 2, <unk> 3, a 4, photo 5, of 6, cat 7, dog 8, "." 9. */
    private static final String TOKENIZER_JSON = """
            {
              "version": "1.0",
              "truncation": null,
              "padding": null,
              "added_tokens": [
                {"id": 0, "content": "<pad>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 1, "content": "<eos>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 2, "content": "<bos>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 3, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
              ],
              "normalizer": {"type": "Lowercase"},
              "pre_tokenizer": {"type": "Whitespace"},
              "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<eos>", "type_id": 0}}],
                "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                         {"SpecialToken": {"id": "<eos>", "type_id": 1}}],
                "special_tokens": {"<eos>": {"id": "<eos>", "ids": [1], "tokens": ["<eos>"]}}
              },
              "decoder": null,
              "model": {
                "type": "WordLevel",
                "vocab": {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3, "a": 4, "photo": 5, "of": 6, "cat": 7,
                          "dog": 8, ".": 9},
                "unk_token": "<unk>"
              }
            }
            """;

    @TempDir
    Path tmp;

    @Test
    void idsArePaddedWithPadIdZeroToMaxLength() throws IOException {
        write("{\"model_max_length\": 12, \"pad_token\": \"<pad>\", \"eos_token\": \"<eos>\"}");
        try (SiglipTokenizer tokenizer = SiglipTokenizer.load(tmp, 64)) {
            assertThat(tokenizer.maxLength()).isEqualTo(12);
            assertThat(tokenizer.padId()).isZero();
            assertThat(tokenizer.eosId()).isEqualTo(1);
            assertThat(tokenizer.tokenize("This is a photo of a Cat."))
                    .containsExactly("<unk>", "<unk>", "a", "photo", "of", "a", "cat", ".");
            long[][] rows = tokenizer.encode(List.of("This is a photo of a Cat.", "dog", ""));
            assertThat(rows[0]).containsExactly(3, 3, 4, 5, 6, 4, 7, 9, 1, 0, 0, 0);
            assertThat(rows[1]).containsExactly(8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
            assertThat(rows[2]).containsExactly(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        }
    }

    @Test
    void longTextIsTruncatedWithThePostProcessorTokenLast() throws IOException {
        write("{\"pad_token\": \"<pad>\", \"eos_token\": \"<eos>\"}");
        try (SiglipTokenizer tokenizer = SiglipTokenizer.load(tmp, 6)) {
            assertThat(tokenizer.maxLength()).isEqualTo(6);
            long[] row = tokenizer.encode(String.join(" ", Collections.nCopies(50, "cat dog")));
            assertThat(row).containsExactly(7, 8, 7, 8, 7, 1);
        }
    }

    @Test
    void gemmaClassTemplateFollowsAddBosAndAddEos() throws IOException {
        // GemmaTokenizerFast rebuilds the post-processor from add_bos_token / add_eos_token.
        write("{\"tokenizer_class\": \"GemmaTokenizer\", \"model_max_length\": 5, \"add_bos_token\": true,"
                + " \"add_eos_token\": false, \"bos_token\": \"<bos>\", \"eos_token\": \"<eos>\", \"pad_token\": \"<pad>\"}");
        try (SiglipTokenizer tokenizer = SiglipTokenizer.load(tmp, 64)) {
            // GemmaTokenizerFast.padding_side defaults to "left".
            assertThat(tokenizer.encode("a cat")).containsExactly(0, 0, 2, 4, 7);
            assertThat(tokenizer.encode("a cat a cat a cat")).containsExactly(2, 4, 7, 4, 7);
        }
        write("{\"tokenizer_class\": \"GemmaTokenizerFast\", \"model_max_length\": 5, \"add_bos_token\": false,"
                + " \"padding_side\": \"right\","
                + " \"add_eos_token\": true, \"bos_token\": \"<bos>\", \"eos_token\": \"<eos>\", \"pad_token\": \"<pad>\"}");
        try (SiglipTokenizer tokenizer = SiglipTokenizer.load(tmp, 64)) {
            assertThat(tokenizer.encode("a cat")).containsExactly(4, 7, 1, 0, 0);
            assertThat(tokenizer.encode("a cat a cat a cat")).containsExactly(4, 7, 4, 7, 1);
        }
    }

    @Test
    void emptyBatchIsEmpty() throws IOException {
        write("{\"model_max_length\": 4}");
        try (SiglipTokenizer tokenizer = SiglipTokenizer.load(tmp, 64)) {
            assertThat(tokenizer.encode(List.of())).isEmpty();
            assertThat(tokenizer.encode("cat")).containsExactly(7, 1, 0, 0);
        }
    }

    @Test
    void unknownPadTokenAndBrokenFileAreClearErrors() throws IOException {
        write("{\"pad_token\": \"[PAD]\"}");
        assertThatThrownBy(() -> SiglipTokenizer.load(tmp, 8))
                .isInstanceOf(IOException.class).hasMessageContaining("[PAD]").hasMessageContaining("tokenizer.json");
        Files.writeString(tmp.resolve("tokenizer.json"), "{\"model\": {\"type\": \"NoSuchModel\"}}");
        Files.delete(tmp.resolve("tokenizer_config.json"));
        assertThatThrownBy(() -> SiglipTokenizer.load(tmp, 8))
                .isInstanceOf(IOException.class).hasMessageContaining(tmp.resolve("tokenizer.json").toString());
    }

    private void write(String tokenizerConfig) throws IOException {
        Files.writeString(tmp.resolve("tokenizer.json"), TOKENIZER_JSON);
        Files.writeString(tmp.resolve("tokenizer_config.json"), tokenizerConfig);
    }
}
