package dev.siglipstream.siglip.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.siglipstream.siglip.onnx.OnnxOptions;
import dev.siglipstream.siglip.onnx.SiglipModel;
import dev.siglipstream.siglip.scoring.LabelScore;
import dev.siglipstream.testutils.Conformance;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The zero-shot pipeline, end to end from image files, against transformers' pipeline computed
 * without the attention mask (what the ONNX exports compute): identical rankings, scores within 1e-4.
 */
class ZeroShotPipelineConformanceTest {
    static SiglipModel model;
    static ZeroShotImageClassifier classifier;

    @BeforeAll
    static void load() {
        model = SiglipModel.load(Conformance.tinyModel(), OnnxOptions.defaults());
        classifier = new ZeroShotImageClassifier(model);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void rankingsAndScoresMatchTheUnmaskedReference() throws Exception {
        double maxDiff = 0;
        int compared = 0;
        for (JsonNode set : Conformance.cases().get("zero_shot_pipeline").get("label_sets")) {
            List<String> labels = new ArrayList<>();
            set.get("candidate_labels").forEach(l -> labels.add(l.asText()));
            String template = set.get("hypothesis_template").asText();
            for (JsonNode perImage : set.get("per_image")) {
                byte[] bytes = Files.readAllBytes(Conformance.image(perImage.get("image").asText()));
                List<LabelScore> actual = classifier.classify(List.of(bytes), labels,
                        new ZeroShotImageClassifier.Options(template, null, null)).get(0);
                JsonNode expected = perImage.get("result_without_attention_mask");
                assertThat(actual).extracting(LabelScore::label)
                        .as("ranking for %s with %s", perImage.get("image").asText(), labels)
                        .containsExactlyElementsOf(expected.findValuesAsText("label"));
                for (int i = 0; i < actual.size(); i++) {
                    double e = expected.get(i).get("score").asDouble();
                    maxDiff = Math.max(maxDiff, Math.abs(actual.get(i).score() - e));
                    assertThat((double) actual.get(i).score()).isCloseTo(e, within(1e-4));
                }
                compared++;
            }
        }
        System.out.printf("conformance %-28s max|diff| = %.3e over %d (image, label set) cases%n",
                "zero-shot pipeline scores", maxDiff, compared);
        assertThat(compared).isEqualTo(33);
    }

    @Test
    void sequencesAreTheTemplatedLabels() {
        for (JsonNode set : Conformance.cases().get("zero_shot_pipeline").get("label_sets")) {
            String template = set.get("hypothesis_template").asText();
            for (int i = 0; i < set.get("candidate_labels").size(); i++) {
                assertThat(ZeroShotImageClassifier.hypothesis(template, set.get("candidate_labels").get(i).asText()))
                        .isEqualTo(set.get("sequences").get(i).asText());
            }
        }
    }

    @Test
    void labelEmbeddingsAreCachedPerLabelSet() {
        var a = classifier.encodeLabels(List.of("cat", "dog"), ZeroShotImageClassifier.DEFAULT_TEMPLATE);
        var b = classifier.encodeLabels(List.of("cat", "dog"), ZeroShotImageClassifier.DEFAULT_TEMPLATE);
        var c = classifier.encodeLabels(List.of("cat", "dog"), "{}");
        assertThat(b).isSameAs(a);
        assertThat(c).isNotSameAs(a);
    }

    @Test
    void topKAndThreshold() throws Exception {
        byte[] bytes = Files.readAllBytes(Conformance.image("coco_000000039769"));
        List<String> labels = List.of("cat", "dog", "car");
        var top1 = classifier.classify(List.of(bytes), labels, new ZeroShotImageClassifier.Options("This is a photo of {}.", 1, null));
        assertThat(top1.get(0)).extracting(LabelScore::label).containsExactly("dog");
        var over = classifier.classify(List.of(bytes), labels, new ZeroShotImageClassifier.Options("This is a photo of {}.", null, 0.9f));
        assertThat(over.get(0)).extracting(LabelScore::label).containsExactly("dog", "car");
    }
}
