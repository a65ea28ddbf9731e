package dev.siglipstream.siglip.text;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.siglipstream.siglip.internal.Npy;
import dev.siglipstream.testutils.Conformance;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The SentencePiece tokenizer against transformers 4.45.1's {@code SiglipTokenizer} outputs (exact ids). */
class SiglipTokenizerConformanceTest {
    static final Path CONFORMANCE = Conformance.root();
    static final Path MODEL = CONFORMANCE.resolve("models/siglip-tiny");

    private static SiglipTokenizer tokenizer;
    private static JsonNode texts;

    @BeforeAll
    static void load() throws Exception {
        tokenizer = SiglipTokenizer.load(MODEL, 64);
        texts = new ObjectMapper().readTree(CONFORMANCE.resolve("cases.json").toFile()).get("texts");
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    /** The exact string, rebuilt from its code points so no JSON escaping is involved. */
    static String text(JsonNode entry) {
        StringBuilder sb = new StringBuilder();
        entry.get("text_codepoints").forEach(cp -> sb.appendCodePoint(cp.asInt()));
        assertThat(sb.toString()).isEqualTo(entry.get("text").asText());
        return sb.toString();
    }

    @Test
    void allTextsGiveTheGoldenInputIds() throws Exception {
        Npy.Array golden = Npy.read(CONFORMANCE.resolve("golden/text/input_ids.npy"));
        assertThat(golden.shape()).containsExactly(21, 64);
        long[] expected = golden.longs();
        List<String> batch = new ArrayList<>();
        texts.forEach(t -> batch.add(text(t)));
        assertThat(batch).hasSize(21);

        long[][] ids = tokenizer.encode(batch);

        assertThat(ids).hasNumberOfRows(21);
        for (int i = 0; i < 21; i++) {
            long[] row = Arrays.copyOfRange(expected, i * 64, (i + 1) * 64);
            assertThat(ids[i]).as("text %d %s", i, batch.get(i)).containsExactly(row);
        }
    }

    @Test
    void piecesAndUnpaddedIdsMatchTransformers() {
        for (JsonNode t : texts) {
            String text = text(t);
            List<String> expectedTokens = new ArrayList<>();
            t.get("tokens").forEach(x -> expectedTokens.add(x.asText()));
            assertThat(tokenizer.tokenize(text)).as("tokens of %s", text).containsExactlyElementsOf(expectedTokens);

            long[] unpadded = new long[t.get("input_ids_unpadded_untruncated").size()];
            for (int i = 0; i < unpadded.length; i++) {
                unpadded[i] = t.get("input_ids_unpadded_untruncated").get(i).asLong();
            }
            long[] row = tokenizer.encode(text);
            int n = Math.min(unpadded.length, 64);
            if (unpadded.length <= 64) {
                assertThat(Arrays.copyOf(row, n)).as("ids of %s", text).containsExactly(unpadded);
                for (int i = n; i < 64; i++) assertThat(row[i]).isEqualTo(tokenizer.padId());
            } else {
                assertThat(Arrays.copyOf(row, 63)).containsExactly(Arrays.copyOf(unpadded, 63));
                assertThat(row[63]).isEqualTo(tokenizer.eosId());
            }
        }
    }

    @Test
    void siglipOnePadsWithEos() {
        assertThat(tokenizer.maxLength()).isEqualTo(64);
        assertThat(tokenizer.eosId()).isEqualTo(2);
        assertThat(tokenizer.padId()).isEqualTo(2);
    }

    /** transformers' tests/models/siglip/test_tokenization_siglip.py::test_full_tokenizer on the same fixture model. */
    @Test
    void transformersFixtureCases() {
        assertThat(tokenizer.tokenize("This is a test")).containsExactly("▁this", "▁is", "▁a", "▁t", "est");
        // convert_tokens_to_ids of those pieces: the ids before </s>.
        assertThat(Arrays.copyOf(tokenizer.encode("This is a test"), 6)).containsExactly(66, 46, 10, 170, 382, 2);

        long[] expected = {7, 23, 21, 84, 55, 24, 19, 7, 0, 602, 347, 347, 347, 12, 66, 46, 72, 80, 6, 0};
        long[] row = tokenizer.encode("I was born in 92000, and this is falsé.");
        assertThat(Arrays.copyOf(row, expected.length)).containsExactly(expected);
        assertThat(row[expected.length]).isEqualTo(2);
        assertThat(row[expected.length + 1]).isEqualTo(2);
    }
}
