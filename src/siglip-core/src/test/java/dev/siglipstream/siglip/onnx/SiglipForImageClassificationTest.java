package dev.siglipstream.siglip.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.siglip.image.SiglipImageProcessor;
import dev.siglipstream.siglip.internal.Npy;
import dev.siglipstream.siglip.scoring.LabelScore;
import dev.siglipstream.testutils.Conformance;
import java.nio.FloatBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The classifier export against transformers' SiglipForImageClassification logits (v4.43+ pooling). */
class SiglipForImageClassificationTest {
    @Test
    void logitsMatchTheReferenceAndLabelsComeFromId2label() {
        try (SiglipForImageClassification classifier =
                SiglipForImageClassification.load(Conformance.tinyClassifier(), OnnxOptions.defaults())) {
            assertThat(classifier.labels()).containsExactly("cat", "dog", "car", "tree", "building");
            Npy.Array px = Conformance.golden("model/pixel_values_batch.npy");
            FloatBuffer pixels = SiglipImageProcessor.allocate(px.shape()[0], 64, 64);
            pixels.put(px.floats()).flip();
            float[][] logits = classifier.logits(pixels, px.shape()[0]);
            double diff = Conformance.maxAbsDiff(logits, Conformance.matrix("classifier/logits.npy"));
            System.out.printf("conformance %-28s max|diff| = %.3e%n", "classifier logits", diff);
            assertThat(diff).isLessThan(1e-4);

            // argmax labels as recorded in cases.json
            var expected = Conformance.cases().get("classifier").get("argmax_labels");
            for (int i = 0; i < logits.length; i++) {
                List<LabelScore> ranked = classifier.score(logits[i], null, null);
                assertThat(ranked.get(0).label()).isEqualTo(expected.get(i).asText());
                // single-label checkpoint: the image-classification pipeline's softmax sums to 1
                assertThat(ranked.stream().mapToDouble(LabelScore::score).sum()).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-5));
            }
            assertThat(classifier.score(logits[0], 2, null)).hasSize(2);
        }
    }

    @Test
    void isClassifierReadsTheArchitecture() {
        assertThat(SiglipForImageClassification.isClassifier(Conformance.tinyClassifier())).isTrue();
        assertThat(SiglipForImageClassification.isClassifier(Conformance.tinyModel())).isFalse();
    }
}
