package dev.siglipstream.siglip.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.siglipstream.siglip.pipeline.ZeroShotImageClassifier;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScoringTest {
    @Test
    void probabilitiesAreIndependentSigmoidsNotASoftmax() {
        float[][] img = {{1f, 0f}};
        float[][] txt = {{1f, 0f}, {0f, 1f}, {1f, 0f}};
        float[][] p = Scoring.probabilities(img, txt, 10f, -5f);
        assertThat(p[0][0]).isCloseTo((float) (1 / (1 + Math.exp(-5))), within(1e-7f));
        assertThat(p[0][1]).isCloseTo((float) (1 / (1 + Math.exp(5))), within(1e-7f));
        assertThat(p[0][2]).isEqualTo(p[0][0]);
        // a softmax would sum to one; independent sigmoids need not
        assertThat(p[0][0] + p[0][1] + p[0][2]).isGreaterThan(1.9f);
    }

    @Test
    void sigmoidSaturatesLikeFloat32Torch() {
        assertThat(Scoring.sigmoid(17f)).isEqualTo(1.0f); // 1 + exp(-17) rounds to 1 in float32
        assertThat(Scoring.sigmoid(-200f)).isEqualTo(0f);
        assertThat(Scoring.sigmoid(0f)).isEqualTo(0.5f);
    }

    @Test
    void rankIsAStableDescendingSort() {
        List<LabelScore> r = Scoring.rank(new float[] {0.5f, 0.9f, 0.5f, 1f, 1f}, List.of("a", "b", "c", "d", "e"), null);
        assertThat(r).extracting(LabelScore::label).containsExactly("d", "e", "b", "a", "c");
        assertThat(Scoring.rank(new float[] {0.1f, 0.2f}, List.of("x", "y"), 1)).extracting(LabelScore::label).containsExactly("y");
        assertThatThrownBy(() -> Scoring.rank(new float[] {1f}, List.of("x", "y"), null)).hasMessageContaining("1 scores for 2 labels");
    }

    @Test
    void normalizeGivesUnitRows() {
        float[][] n = Scoring.normalize(new float[][] {{3f, 4f}, {0f, 0f}});
        assertThat(n[0]).containsExactly(0.6f, 0.8f);
        assertThat(n[1]).containsExactly(0f, 0f);
    }

    @Test
    void softmaxSumsToOne() {
        float[] s = Scoring.softmax(new float[] {1f, 2f, 3f});
        assertThat(s[0] + s[1] + s[2]).isCloseTo(1f, within(1e-6f));
        assertThat(s[2]).isGreaterThan(s[1]);
    }

    @Test
    void hypothesisFollowsPythonFormat() {
        assertThat(ZeroShotImageClassifier.hypothesis("This is a photo of {}.", "cat")).isEqualTo("This is a photo of cat.");
        assertThat(ZeroShotImageClassifier.hypothesis("{{literal}} {}", "x")).isEqualTo("{literal} x");
        assertThat(ZeroShotImageClassifier.hypothesis("no placeholder", "x")).isEqualTo("no placeholder");
        assertThatThrownBy(() -> ZeroShotImageClassifier.hypothesis("{} and {}", "x")).hasMessageContaining("more than one");
        assertThatThrownBy(() -> ZeroShotImageClassifier.hypothesis("{oops", "x")).hasMessageContaining("unmatched");
    }

    @Test
    void blockedLogitsAreBitIdenticalToThePlainTripleLoop() {
        java.util.Random rnd = new java.util.Random(5);
        for (int[] shape : new int[][] {{7, 5, 33}, {32, 9, 768}, {1, 1, 1}, {4, 2, 3}, {3, 0, 8}, {0, 3, 8}}) {
            float[][] img = new float[shape[0]][shape[2]];
            float[][] txt = new float[shape[1]][shape[2]];
            for (float[] r : img) for (int k = 0; k < r.length; k++) r[k] = (float) rnd.nextGaussian();
            for (float[] r : txt) for (int k = 0; k < r.length; k++) r[k] = (float) rnd.nextGaussian();
            float[][] got = Scoring.logits(img, txt, 117.33f, -12.93f);
            assertThat(got.length).isEqualTo(shape[0]);
            for (int i = 0; i < shape[0]; i++) {
                assertThat(got[i]).hasSize(shape[1]);
                for (int t = 0; t < shape[1]; t++) {
                    float dot = 0f;
                    for (int k = 0; k < shape[2]; k++) dot += img[i][k] * txt[t][k];
                    assertThat(got[i][t]).as("%s [%d][%d]", java.util.Arrays.toString(shape), i, t)
                            .isEqualTo(dot * 117.33f + -12.93f);
                }
            }
        }
    }

    @Test
    void mismatchedDimensionsAreNamed() {
        assertThatThrownBy(() -> Scoring.logits(new float[][] {{1f, 2f}}, new float[][] {{1f, 2f, 3f}}, 1f, 0f))
                .hasMessageContaining("2 dims").hasMessageContaining("3");
        assertThatThrownBy(() -> Scoring.logits(new float[][] {{1f, 2f}}, new float[][] {{1f, 2f}, {1f}}, 1f, 0f))
                .hasMessageContaining("text embedding 1 has 1 dims");
    }
}
