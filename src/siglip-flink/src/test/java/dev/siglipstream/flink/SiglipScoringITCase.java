package dev.siglipstream.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.siglipstream.siglip.image.SiglipImageProcessor;
import dev.siglipstream.siglip.onnx.OnnxOptions;
import dev.siglipstream.siglip.onnx.SiglipModel;
import dev.siglipstream.siglip.scoring.LabelScore;
import dev.siglipstream.siglip.pipeline.ZeroShotImageClassifier;
import dev.siglipstream.testutils.Conformance;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link SiglipScoring#apply} in a job on a MiniCluster with the tiny conformance model: scored images
 * on the main output with the library's scores for their label set (chosen per element, ordered mode),
 * and every element that cannot be scored on the failures' side output with its reason.
 */
class SiglipScoringITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    /** A user's element: an id, the image and the label set it asks for (null: the default). */
    public record Upload(String id, byte[] image, String labelSet) implements Serializable {}

    static final CandidateLabels ANIMALS = CandidateLabels.of("animals", "a cat", "a dog");
    static final CandidateLabels THINGS = new CandidateLabels("things", 3, List.of("a remote control", "a sofa", "a car"),
            "a photo of {}", 0.1f, 2);

    @Test
    void scoredImagesOnTheMainOutputAndFailuresOnTheSideOutput() throws Exception {
        byte[] cats = Files.readAllBytes(Conformance.image("coco_000000039769"));
        byte[] photo = Files.readAllBytes(Conformance.image("photo_q90_420"));
        List<Upload> uploads = List.of(
                new Upload("cats", cats, null),
                new Upload("cats-things", cats, "things"),
                new Upload("photo", photo, "things"),
                new Upload("text", "not an image".getBytes(), null),
                new Upload("unknown-set", photo, "plants"));
        SiglipScoring<Upload> scoring = SiglipScoring.<Upload>builder()
                .model(Conformance.tinyModel().toString())
                .labelSets(ANIMALS, THINGS)
                .defaultLabelSet("animals")
                .labelSetId(Upload::labelSet)
                .imageBytes(Upload::image)
                .maxBatchSize(4)
                .maxBatchDelay(Duration.ofMillis(50))
                .ordered(true)
                .emitEmbedding(true)
                .build();

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        SingleOutputStreamOperator<ScoredImage<Upload>> scored = scoring.apply(env.fromData(uploads));
        List<ScoredImage<Upload>> images = new ArrayList<>();
        Map<String, ScoringFailure<Upload>> failures = new TreeMap<>();
        try (CloseableIterator<ScoredImage<Upload>> main = scored.collectAsync();
                CloseableIterator<ScoringFailure<Upload>> side = scored.getSideOutput(scoring.failures()).collectAsync()) {
            env.execute("scoring with a side output");
            main.forEachRemaining(images::add);
            side.forEachRemaining(f -> failures.put(f.element().id(), f));
        }

        assertThat(images).extracting(s -> s.element().id()).as("ordered mode keeps the input order")
                .containsExactly("cats", "cats-things", "photo");
        assertThat(failures.keySet()).containsExactly("text", "unknown-set");
        assertThat(failures.get("text").reason()).isEqualTo(FailureReason.UNDECODABLE_IMAGE);
        assertThat(failures.get("text").stage()).isEqualTo("preprocess");
        assertThat(failures.get("unknown-set").reason()).isEqualTo(FailureReason.UNKNOWN_LABEL_SET);
        assertThat(failures.get("unknown-set").message()).contains("'plants'");

        try (SiglipModel library = SiglipModel.load(Conformance.tinyModel(), OnnxOptions.defaults())) {
            ZeroShotImageClassifier classifier = new ZeroShotImageClassifier(library);
            for (ScoredImage<Upload> s : images) {
                CandidateLabels set = s.element().labelSet() == null ? ANIMALS : THINGS;
                List<LabelScore> expected = classifier.classify(List.of(s.element().image()), set.labels(),
                        new ZeroShotImageClassifier.Options(set.template() == null ? CandidateLabels.DEFAULT_TEMPLATE : set.template(),
                                set.topK(), null)).get(0);
                assertThat(s.labelSetId()).isEqualTo(set.id());
                assertThat(s.labelSetVersion()).isEqualTo(set.version());
                assertThat(s.labels()).extracting(ScoredLabel::label).as(s.element().id())
                        .containsExactlyElementsOf(expected.stream().map(LabelScore::label).toList());
                float threshold = set.threshold() == null ? 0.5f : set.threshold();
                for (int i = 0; i < expected.size(); i++) {
                    assertThat((double) s.labels().get(i).score()).isCloseTo(expected.get(i).score(), within(1e-5));
                    assertThat(s.labels().get(i).matched()).isEqualTo(s.labels().get(i).score() >= threshold);
                }
                SiglipImageProcessor processor = library.imageProcessor();
                FloatBuffer px = ByteBuffer.allocateDirect(3 * processor.height() * processor.width() * Float.BYTES)
                        .order(ByteOrder.nativeOrder()).asFloatBuffer();
                processor.preprocess(s.element().image(), px);
                px.rewind();
                float[] embedding = library.imageEmbeddings(px, 1)[0];
                assertThat(s.embedding()).hasSize(embedding.length);
                for (int i = 0; i < embedding.length; i++) {
                    assertThat((double) s.embedding()[i]).isCloseTo(embedding[i], within(1e-5));
                }
            }
        }
    }

    @Test
    void labelSetUpdatesOnABroadcastStreamChangeTheSetsInForce() throws Exception {
        byte[] cats = Files.readAllBytes(Conformance.image("coco_000000039769"));
        CandidateLabels animals2 = new CandidateLabels("animals", 2, List.of("a remote control", "a sofa"), null, null, null);
        SiglipScoring<Upload> scoring = SiglipScoring.<Upload>builder()
                .model(Conformance.tinyModel().toString())
                .labelSets(ANIMALS)
                .labelSetId(Upload::labelSet)
                .imageBytes(Upload::image)
                .build();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        // The images wait a moment so that the update, from a separate source, is usually in force by then (it
        // was in each run here); the assertions hold either way: each result agrees with the version it reports.
        SingleOutputStreamOperator<ScoredImage<Upload>> scored = scoring.apply(
                env.fromData(new Upload("a", cats, null), new Upload("b", cats, "animals")).map(u -> {
                    if (u.id().equals("a")) {
                        Thread.sleep(5000); // the first image waits: the scoring's task starts with the model load
                    }
                    return u;
                }).returns(Upload.class),
                env.fromData(animals2).returns(CandidateLabels.class));
        List<ScoredImage<Upload>> images = new ArrayList<>();
        List<ScoringFailure<Upload>> failures = new ArrayList<>();
        try (CloseableIterator<ScoredImage<Upload>> main = scored.collectAsync();
                CloseableIterator<ScoringFailure<Upload>> side = scored.getSideOutput(scoring.failures()).collectAsync()) {
            env.execute("scoring with label-set updates");
            main.forEachRemaining(images::add);
            side.forEachRemaining(failures::add);
        }
        assertThat(failures).isEmpty();
        assertThat(images).extracting(i -> i.element().id()).containsExactlyInAnyOrder("a", "b");
        try (SiglipModel library = SiglipModel.load(Conformance.tinyModel(), OnnxOptions.defaults())) {
            ZeroShotImageClassifier classifier = new ZeroShotImageClassifier(library);
            for (ScoredImage<Upload> s : images) {
                CandidateLabels set = s.labelSetVersion() == 2 ? animals2 : ANIMALS;
                System.out.printf("element %s scored with label set version %d%n", s.element().id(), s.labelSetVersion());
                List<LabelScore> expected = classifier.classify(List.of(cats), set.labels(), ZeroShotImageClassifier.Options.defaults())
                        .get(0);
                assertThat(s.labels()).extracting(ScoredLabel::label).containsExactlyElementsOf(
                        expected.stream().map(LabelScore::label).toList());
                for (int i = 0; i < expected.size(); i++) {
                    assertThat((double) s.labels().get(i).score()).isCloseTo(expected.get(i).score(), within(1e-5));
                }
            }
        }
    }
}
