package dev.siglipstream.siglip.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Truncation, configured length, batching, concurrency and errors of the SentencePiece tokenizer. */
class SiglipTokenizerTest {
    private static final Path MODEL = SiglipTokenizerConformanceTest.MODEL;
    /** transformers' ids for "a photo of 2 cats" (cases.json texts[0]), ending with </s> = 2. */
    private static final long[] CATS = {10, 62, 52, 226, 20, 13, 7, 602, 69, 76, 6, 2};

    @TempDir
    Path tmp;

    @Test
    void longTextIsTruncatedKeepingEosLast() throws IOException {
        String text = String.join(" ", Collections.nCopies(200, "cat"));
        try (SiglipTokenizer tokenizer = SiglipTokenizer.load(MODEL, 64)) {
            long[] row = tokenizer.encode(text);
            assertThat(row).hasSize(64);
            // "cat" is ["▁c", "at"] = [69, 76]: 63 content ids, then </s>.
            for (int i = 0; i < 63; i++) {
                assertThat(row[i]).as("id %d", i).isEqualTo(i % 2 == 0 ? 69 : 76);
            }
            assertThat(row[63]).isEqualTo(2);
        }
    }

    @Test
    void maxLengthComesFromTokenizerConfig() throws IOException {
        Path dir = copyModel("\"model_max_length\": 16,");
        try (SiglipTokenizer tokenizer = SiglipTokenizer.load(dir, 64)) {
            assertThat(tokenizer.maxLength()).isEqualTo(16);
            long[] row = tokenizer.encode("a photo of 2 cats");
            assertThat(Arrays.copyOf(row, 12)).containsExactly(CATS);
            assertThat(Arrays.copyOfRange(row, 12, 16)).containsOnly(2L);
            assertThat(row).hasSize(16);

            long[] longRow = tokenizer.encode("a photo of 2 cats and a photo of 2 dogs");
            assertThat(longRow).hasSize(16);
            assertThat(Arrays.copyOf(longRow, 11)).containsExactly(Arrays.copyOf(CATS, 11));
            assertThat(longRow[15]).isEqualTo(2);
        }
    }

    @Test
    void unusableModelMaxLengthFallsBack() throws IOException {
        // transformers writes VERY_LARGE_INTEGER (int(1e30)) when a checkpoint declares no length.
        Path dir = copyModel("\"model_max_length\": 1000000000000000019884624838656,");
        try (SiglipTokenizer tokenizer = SiglipTokenizer.load(dir, 20)) {
            assertThat(tokenizer.maxLength()).isEqualTo(20);
            assertThat(tokenizer.encode("cat")).containsExactly(69, 76, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2);
        }
        Path bare = tmp.resolve("bare");
        Files.createDirectories(bare);
        Files.copy(MODEL.resolve("spiece.model"), bare.resolve("spiece.model"));
        try (SiglipTokenizer tokenizer = SiglipTokenizer.load(bare, 8)) {
            assertThat(tokenizer.maxLength()).isEqualTo(8);
            assertThat(tokenizer.padId()).isEqualTo(2);
            assertThat(tokenizer.encode("DOG")).containsExactly(92, 42, 2, 2, 2, 2, 2, 2);
        }
    }

    @Test
    void batchKeepsInputOrder() throws IOException {
        try (SiglipTokenizer tokenizer = SiglipTokenizer.load(MODEL, 64)) {
            List<String> texts = List.of("a photo of 2 cats", "cat", "DOG", "");
            long[][] rows = tokenizer.encode(texts);
            assertThat(Arrays.copyOf(rows[0], 12)).containsExactly(CATS);
            assertThat(Arrays.copyOf(rows[1], 3)).containsExactly(69, 76, 2);
            assertThat(Arrays.copyOf(rows[2], 3)).containsExactly(92, 42, 2);
            assertThat(rows[3]).containsOnly(2L);
            List<String> reversed = new ArrayList<>(texts);
            Collections.reverse(reversed);
            long[][] back = tokenizer.encode(reversed);
            for (int i = 0; i < texts.size(); i++) {
                assertThat(back[texts.size() - 1 - i]).containsExactly(rows[i]);
            }
            assertThat(tokenizer.encode(List.of())).isEmpty();
        }
    }

    @Test
    void textEndingWithEosGetsNoSecondEos() throws IOException {
        // A pad token other than </s> makes a second </s> visible.
        Files.copy(MODEL.resolve("spiece.model"), tmp.resolve("spiece.model"));
        Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"model_max_length\": 6, \"pad_token\": \"<unk>\"}");
        try (SiglipTokenizer tokenizer = SiglipTokenizer.load(tmp, 64)) {
            assertThat(tokenizer.padId()).isZero();
            assertThat(tokenizer.encode("cat")).containsExactly(69, 76, 2, 0, 0, 0);
            // _add_eos_if_not_present: the ids already end with </s>.
            assertThat(tokenizer.tokenize("cat </s>")).containsExactly("▁c", "at", "</s>");
            assertThat(tokenizer.encode("cat </s>")).containsExactly(69, 76, 2, 0, 0, 0);
            // Special tokens are matched after lowercasing, so "</S>" is one too.
            assertThat(tokenizer.tokenize("cat </S>")).containsExactly("▁c", "at", "</s>");
        }
    }

    @Test
    void concurrentEncodeGivesTheSameIds() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 32; i++) texts.add("a photo of " + i + " cats and " + (31 - i) + " dogs, ÉCOLE İstanbul");
        try (SiglipTokenizer tokenizer = SiglipTokenizer.load(MODEL, 64)) {
            long[][] expected = tokenizer.encode(texts);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<long[][]>> results = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    results.add(pool.submit(() -> {
                        long[][] last = null;
                        for (int r = 0; r < 25; r++) last = tokenizer.encode(texts);
                        return last;
                    }));
                }
                for (Future<long[][]> f : results) {
                    assertThat(f.get()).isDeepEqualTo(expected);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void closedTokenizerRefusesWork() throws IOException {
        SiglipTokenizer tokenizer = SiglipTokenizer.load(MODEL, 64);
        tokenizer.close();
        tokenizer.close();
        assertThatThrownBy(() -> tokenizer.encode("cat"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void folderWithoutTokenizerNamesWhatWasLookedFor() {
        assertThatThrownBy(() -> SiglipTokenizer.load(tmp, 64))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(tmp.toString())
                .hasMessageContaining("spiece.model")
                .hasMessageContaining("tokenizer.json");
        assertThatThrownBy(() -> SiglipTokenizer.load(tmp.resolve("nope"), 64))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("nope");
    }

    @Test
    void corruptSpieceModelIsAClearError() throws IOException {
        Files.writeString(tmp.resolve("spiece.model"), "this is not a sentencepiece model", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> SiglipTokenizer.load(tmp, 64))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(tmp.resolve("spiece.model").toString())
                .hasMessageContaining("SentencePiece");

        // Well-formed protobuf, but the piece is not a SentencePiece (field 1 of ModelProto holds garbage).
        Files.write(tmp.resolve("spiece.model"), new byte[] {0x0A, 0x03, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
        assertThatThrownBy(() -> SiglipTokenizer.load(tmp, 64))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(tmp.resolve("spiece.model").toString());

        Files.write(tmp.resolve("spiece.model"), Arrays.copyOf(Files.readAllBytes(MODEL.resolve("spiece.model")), 5000));
        assertThatThrownBy(() -> SiglipTokenizer.load(tmp, 64))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(tmp.resolve("spiece.model").toString());
    }

    @Test
    void brokenTokenizerConfigIsAClearError() throws IOException {
        Path dir = copyModel("");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{ not json", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> SiglipTokenizer.load(dir, 64))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(dir.resolve("tokenizer_config.json").toString());
    }

    /** A copy of the tiny model's tokenizer files whose tokenizer_config.json starts with {@code extra}. */
    private Path copyModel(String extra) throws IOException {
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir);
        Files.copy(MODEL.resolve("spiece.model"), dir.resolve("spiece.model"));
        Files.copy(MODEL.resolve("special_tokens_map.json"), dir.resolve("special_tokens_map.json"));
        String config = Files.readString(MODEL.resolve("tokenizer_config.json"))
                .replace("\"model_max_length\": 64,", "")
                .replaceFirst("\\{", "{" + extra);
        Files.writeString(dir.resolve("tokenizer_config.json"), config);
        return dir;
    }
}
