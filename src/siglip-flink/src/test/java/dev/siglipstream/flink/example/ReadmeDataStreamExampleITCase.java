package dev.siglipstream.flink.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.siglipstream.flink.ScoredImage;
import dev.siglipstream.flink.ScoredLabel;
import dev.siglipstream.flink.example.ReadmeDataStreamExample.Photo;
import dev.siglipstream.siglip.onnx.OnnxOptions;
import dev.siglipstream.siglip.onnx.SiglipModel;
import dev.siglipstream.siglip.scoring.LabelScore;
import dev.siglipstream.siglip.pipeline.ZeroShotImageClassifier;
import dev.siglipstream.testutils.Conformance;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The README's DataStream example on a MiniCluster over the conformance images with the tiny
 * conformance model: every image is scored, with the scores and ranking of the library's own
 * zero-shot pipeline for the same image and labels; a record that is not an image is not.
 */
class ReadmeDataStreamExampleITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    /** The example's labels, in its order. */
    static final List<String> LABELS = List.of("a cat", "a dog", "a remote control");
    /**
     * Batched (the example's batches of up to 16, padded rows none) against one image at a time in the
     * library: the same ONNX graph, so the scores agree to float rounding.
     */
    static final double TOLERANCE = 1e-5;

    @Test
    void scoresEqualTheLibrarysZeroShotPipeline() throws Exception {
        String model = Conformance.tinyModel().toString();
        List<Photo> photos = new ArrayList<>();
        for (String id : Conformance.imageIds()) {
            photos.add(new Photo(id, Files.readAllBytes(Conformance.image(id))));
        }
        photos.add(new Photo("not-an-image", "just text".getBytes(StandardCharsets.UTF_8)));

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        List<ScoredImage<Photo>> scored = ReadmeDataStreamExample.tag(env.fromData(photos), model).executeAndCollect(100);

        Map<String, ScoredImage<Photo>> byId = new TreeMap<>();
        scored.forEach(s -> byId.put(s.element().id(), s));
        assertThat(scored).as("one result per image, none for the text").hasSize(Conformance.imageIds().size());
        assertThat(byId.keySet()).containsExactlyInAnyOrderElementsOf(Conformance.imageIds());

        double maxDiff = 0;
        try (SiglipModel library = SiglipModel.load(Conformance.tinyModel(), OnnxOptions.defaults())) {
            ZeroShotImageClassifier classifier = new ZeroShotImageClassifier(library);
            for (Photo photo : photos.subList(0, photos.size() - 1)) {
                List<LabelScore> expected = classifier.classify(List.of(photo.image()), LABELS,
                        ZeroShotImageClassifier.Options.defaults()).get(0);
                ScoredImage<Photo> actual = byId.get(photo.id());
                assertThat(actual.labelSetId()).isEqualTo("animals");
                assertThat(actual.modelId()).isEqualTo(model);
                assertThat(actual.labels()).extracting(ScoredLabel::label).as(photo.id())
                        .containsExactlyElementsOf(expected.stream().map(LabelScore::label).toList());
                for (int i = 0; i < expected.size(); i++) {
                    float e = expected.get(i).score();
                    ScoredLabel a = actual.labels().get(i);
                    maxDiff = Math.max(maxDiff, Math.abs(a.score() - e));
                    assertThat((double) a.score()).as("%s %s", photo.id(), a.label()).isCloseTo(e, within(TOLERANCE));
                    assertThat(a.matched()).isEqualTo(a.score() >= 0.5f);
                }
                assertThat(actual.timings()).containsKeys("preprocess", "inference", "batchSize", "total");
                assertThat(actual.embedding()).as("embeddings are off by default").isNull();
            }
        }
        System.out.printf("README DataStream example: %d images, max |score - library| = %.2e%n", byId.size(), maxDiff);
    }

    @Test
    void theExamplesMainRuns() throws Exception {
        ReadmeDataStreamExample.main(new String[] {Conformance.tinyModel().toString(),
                Conformance.image("coco_000000039769").toString(), Conformance.image("palette").toString()});
    }
}
