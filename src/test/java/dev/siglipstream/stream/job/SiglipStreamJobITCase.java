package dev.siglipstream.stream.job;

import static dev.siglipstream.stream.job.JobHarness.countByKey;
import static dev.siglipstream.stream.job.JobHarness.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.events.LabelScore;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.siglip.image.SiglipImageProcessor;
import dev.siglipstream.siglip.onnx.OnnxOptions;
import dev.siglipstream.siglip.onnx.SiglipModel;
import dev.siglipstream.siglip.pipeline.Scoring;
import dev.siglipstream.stream.model.ModelLoader;
import dev.siglipstream.stream.model.SiglipModelLoader;
import dev.siglipstream.testutils.KafkaFixture;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The whole job on a MiniCluster against a real broker. */
class SiglipStreamJobITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    @RegisterExtension
    static final KafkaFixture KAFKA = new KafkaFixture();

    @TempDir Path dir;

    /** The tiny SigLIP test export (64x64 images, 64-dim embeddings): real inference, fast on 2 cores. */
    static final String MODEL = Path.of("src/test/resources/conformance/models/siglip-tiny").toAbsolutePath().toString();
    static final ModelLoader LOADER = new SiglipModelLoader(40_000_000L);

    private static void topics(String prefix, String... extra) {
        KAFKA.createTopic(prefix + "-images", 2);
        KAFKA.createTopic(prefix + "-labels", 2);
        KAFKA.createTopic(prefix + "-dead", 2);
        for (String t : extra) {
            KAFKA.createTopic(t, 2);
        }
    }

    private static JobClient start(Configuration conf) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(conf);
        SiglipStreamJob.build(env, conf, LOADER);
        return env.executeAsync("itcase");
    }

    /** Probabilities the library gives for one image against hypotheses, computed directly (no Flink, no Kafka). */
    private static float[] direct(SiglipModel m, byte[] image, List<String> hypotheses) throws Exception {
        SiglipImageProcessor proc = m.imageProcessor();
        FloatBuffer px = SiglipImageProcessor.allocate(1, proc.height(), proc.width());
        proc.preprocess(image, px);
        px.rewind();
        return Scoring.probabilities(m.imageEmbeddings(px, 1), m.textEmbeddings(hypotheses), m.logitScale(),
                m.logitBias())[0];
    }

    @Test
    void everyEventIsScoredOnceWithTheLibrarysScoresOnItsLabelSetsTopic() throws Exception {
        String p = "a";
        topics(p, "a-animals");
        Path sets = JobHarness.labelSetFile(dir, """
                label-sets:
                  - id: animals
                    labels: [cat, dog, bird, fish]
                    output-topic: a-animals
                  - id: colours
                    labels: [red, green, blue]
                    template: "a {} picture"
                    threshold: 0.0
                """);
        int n = 2000;
        List<byte[]> images = JobHarness.images(16, 1);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ImageEvent e = JobHarness.event("e" + i, images.get(i % images.size()))
                    .setLabelSetId(i % 2 == 0 ? "animals" : "colours").build();
            records.add(JobHarness.record(p + "-images", e));
        }
        KAFKA.produce(records, true);

        long start = System.nanoTime();
        JobClient job = start(JobHarness.conf(KAFKA, p, MODEL, sets));
        List<ConsumerRecord<byte[], byte[]>> animals = JobHarness.await(job, KAFKA, "a-animals", n / 2, Duration.ofMinutes(3));
        List<ConsumerRecord<byte[], byte[]>> colours = JobHarness.await(job, KAFKA, p + "-labels", n / 2, Duration.ofMinutes(3));
        double seconds = (System.nanoTime() - start) / 1e9;
        job.cancel().get();
        System.out.printf("ITCase(a): %d events scored in %.1f s (job start included)%n", n, seconds);

        assertThat(countByKey(animals)).hasSize(n / 2).allSatisfy((k, c) -> assertThat(c).isEqualTo(1));
        assertThat(countByKey(colours)).hasSize(n / 2).allSatisfy((k, c) -> assertThat(c).isEqualTo(1));
        assertThat(JobHarness.committed(KAFKA, p + "-dead", 1, Duration.ofSeconds(1))).isEmpty();

        Map<String, float[]> expected = new HashMap<>();
        try (SiglipModel m = SiglipModel.load(Path.of(MODEL), OnnxOptions.defaults())) {
            for (int i = 0; i < images.size(); i++) {
                expected.put("animals" + i, direct(m, images.get(i),
                        List.of("This is a photo of cat.", "This is a photo of dog.", "This is a photo of bird.",
                                "This is a photo of fish.")));
                expected.put("colours" + i, direct(m, images.get(i), List.of("a red picture", "a green picture", "a blue picture")));
            }
        }
        List<String> animalLabels = List.of("cat", "dog", "bird", "fish");
        List<String> colourLabels = List.of("red", "green", "blue");
        for (ConsumerRecord<byte[], byte[]> r : concat(animals, colours)) {
            LabelScoreEvent e = JobHarness.score(r);
            int i = Integer.parseInt(e.getEventId().substring(1));
            boolean isAnimal = i % 2 == 0;
            assertThat(e.getLabelSetId()).isEqualTo(isAnimal ? "animals" : "colours");
            assertThat(r.topic()).isEqualTo(isAnimal ? "a-animals" : p + "-labels");
            assertThat(key(r)).isEqualTo(e.getEventId());
            assertThat(e.getModelId()).isEqualTo(MODEL);
            assertThat(e.getMetadata()).containsEntry("n", e.getEventId());
            float[] want = expected.get(e.getLabelSetId() + (i % images.size()));
            List<String> labels = isAnimal ? animalLabels : colourLabels;
            assertThat(e.getScores()).hasSize(labels.size());
            float prev = Float.MAX_VALUE;
            for (LabelScore s : e.getScores()) {
                assertThat(s.getScore()).isCloseTo(want[labels.indexOf(s.getLabel())], within(1e-5f));
                assertThat(s.getScore()).isLessThanOrEqualTo(prev);
                prev = s.getScore();
            }
            if (!isAnimal) {
                assertThat(e.getMatched()).hasSize(3); // threshold 0.0 matches every label
            }
            assertThat(e.getTimings()).containsKeys("preprocess", "inference", "batchSize", "total");
        }
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
