package dev.siglipstream.siglip.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.testutils.Conformance;
import org.junit.jupiter.api.Test;

/** The attention mask fed to text graphs that declare one must equal the tokenizer's. */
class SiglipTextModelTest {
    @Test
    void maskMatchesTheTokenizerForSiglip1PaddingWithEos() {
        // conformance: pad id = eos id = 2; golden attention_mask is what transformers' tokenizer returns
        long[] ids = Conformance.golden("text/input_ids.npy").longs();
        long[] expected = Conformance.golden("text/attention_mask.npy").longs();
        long[][] rows = new long[21][64];
        for (int r = 0; r < 21; r++) System.arraycopy(ids, r * 64, rows[r], 0, 64);
        long[][] mask = SiglipTextModel.attentionMask(rows, 2, 2);
        for (int r = 0; r < 21; r++) {
            for (int c = 0; c < 64; c++) {
                assertThat(mask[r][c]).as("row %d col %d", r, c).isEqualTo(expected[r * 64 + c]);
            }
        }
    }

    @Test
    void maskForAPadTokenDistinctFromEos() {
        long[][] mask = SiglipTextModel.attentionMask(new long[][] {{5, 6, 1, 0, 0}, {5, 6, 7, 8, 1}}, 0, 1);
        assertThat(mask[0]).containsExactly(1, 1, 1, 0, 0);
        assertThat(mask[1]).containsExactly(1, 1, 1, 1, 1);
    }

    @Test
    void standardExportsTakeNoMask() {
        try (SiglipTextModel text = SiglipTextModel.load(Conformance.tinyModel().resolve("onnx/text_model.onnx"), 2, 2,
                OnnxOptions.defaults())) {
            assertThat(text.usesAttentionMask()).isFalse();
        }
    }
}
