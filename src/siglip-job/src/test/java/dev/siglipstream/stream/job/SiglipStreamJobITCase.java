package dev.siglipstream.stream.job;

import static dev.siglipstream.stream.job.JobHarness.countByKey;
import static dev.siglipstream.stream.job.JobHarness.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.events.LabelScore;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.siglip.image.SiglipImageProcessor;
import dev.siglipstream.siglip.onnx.OnnxOptions;
import dev.siglipstream.siglip.onnx.SiglipModel;
import dev.siglipstream.siglip.scoring.Scoring;
import dev.siglipstream.stream.labels.LabelSet;
import dev.siglipstream.stream.model.ModelLoader;
import dev.siglipstream.stream.operator.Output;
import dev.siglipstream.stream.options.JobOptions;
import dev.siglipstream.stream.model.SiglipModelLoader;
import dev.siglipstream.testutils.KafkaFixture;
import dev.siglipstream.testutils.TestData;
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
    static final String MODEL = TestData.conformance("models/siglip-tiny").toString();
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
    static float[] direct(SiglipModel m, byte[] image, List<String> hypotheses) throws Exception {
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
        long stagesAll = 0;
        long totalAll = 0;
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
                assertThat(e.getScores()).allMatch(LabelScore::getMatched); // threshold 0.0 matches every label
            }
            Map<String, Long> t = e.getTimings();
            List<String> stages = List.of("queue", "fetch", "preprocess", "batchWait", "inference", "scoreWait");
            assertThat(t).containsKeys("batchSize", "total").containsKeys(stages.toArray(String[]::new));
            // The stages follow each other: none is negative, and together they are the total but for
            // the ranking and the per-stage rounding down to microseconds.
            long sum = 0;
            for (String stage : stages) {
                assertThat(t.get(stage)).as(stage).isNotNegative();
                sum += t.get(stage);
            }
            assertThat(sum).isLessThanOrEqualTo(t.get("total"));
            stagesAll += sum;
            totalAll += t.get("total");
            assertThat(t.get("batchSize")).isBetween(1L, 64L);
        }
        // No stage is missing: over all events the stages account for most of the time. (One event's ranking
        // can be descheduled for longer than its stages took on a busy machine: 36 of 83 ms once.)
        assertThat(stagesAll).isGreaterThan(totalAll / 2);
    }

    /** Throws once, after {@code after} records and at least one completed checkpoint: a task failure mid-stream. */
    static final class FailOnce extends org.apache.flink.api.common.functions.RichMapFunction<Output, Output>
            implements org.apache.flink.api.common.state.CheckpointListener {
        static final java.util.concurrent.atomic.AtomicBoolean FAILED = new java.util.concurrent.atomic.AtomicBoolean();
        static final java.util.concurrent.atomic.AtomicInteger OPENS = new java.util.concurrent.atomic.AtomicInteger();
        static volatile boolean checkpointed;
        private final int after;
        private int seen;

        FailOnce(int after) {
            this.after = after;
        }

        @Override
        public void open(org.apache.flink.api.common.functions.OpenContext ctx) {
            OPENS.incrementAndGet();
        }

        @Override
        public Output map(Output o) {
            if (++seen >= after && checkpointed && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure after " + seen + " records");
            }
            return o;
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            checkpointed = true;
        }
    }

    @Test
    void exactlyOnceThroughATaskFailureAndLabelSetsSurviveTheRestore() throws Exception {
        String p = "b";
        topics(p);
        KAFKA.createTopic(p + "-control", 1, Map.of("cleanup.policy", "compact"));
        Path sets = JobHarness.labelSetFile(dir, """
                label-sets:
                  - id: live
                    labels: [cat, dog]
                """);
        // Version 2 exists only on the control topic: after the restore (which resumes the control
        // source past it) only the checkpointed broadcast state can still know it.
        KAFKA.produce(List.of(JobHarness.update(p + "-control",
                new LabelSet("live", 2, List.of("cat", "dog", "car"), null, null, null, null, false))), false);
        Configuration conf = JobHarness.conf(KAFKA, p, MODEL, sets);
        conf.set(JobOptions.LABEL_SET_TOPIC, p + "-control");
        conf.setString("restart-strategy.type", "fixed-delay");
        conf.setString("restart-strategy.fixed-delay.attempts", "3");
        conf.setString("restart-strategy.fixed-delay.delay", "500 ms");
        List<byte[]> images = JobHarness.images(8, 2);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(conf);
        int n = 1500;
        SiglipStreamJob.build(env, conf, LOADER, s -> s.map(new FailOnce(n / 4)).name("fail-once"));
        long start = System.nanoTime();
        JobClient job = env.executeAsync("itcase-b");

        // Probes show version 2 is live before the bulk is produced.
        awaitVersion(job, p, "live", images, 2);

        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            records.add(JobHarness.record(p + "-images",
                    JobHarness.event("e" + i, images.get(i % images.size())).setLabelSetId("live").build()));
        }
        KAFKA.produce(records, true);
        int total = n + probes;
        List<ConsumerRecord<byte[], byte[]>> out = JobHarness.await(job, KAFKA, p + "-labels", total, Duration.ofMinutes(3));
        double seconds = (System.nanoTime() - start) / 1e9;
        // Anything duplicated would be committed by now; read once more, asking for more than expected.
        List<ConsumerRecord<byte[], byte[]>> settled = JobHarness.committed(KAFKA, p + "-labels", total + 1, Duration.ofSeconds(3));
        job.cancel().get();
        List<ConsumerRecord<byte[], byte[]>> raw = JobHarness.raw(KAFKA, p + "-labels");

        Map<String, Integer> committed = countByKey(settled);
        Map<String, Integer> rawCounts = countByKey(raw);
        long rawDuplicates = rawCounts.values().stream().filter(c -> c > 1).count();
        long committedDuplicates = committed.values().stream().filter(c -> c > 1).count();
        int restarts = FailOnce.OPENS.get() / 2 - 1;
        System.out.printf("ITCase(b): %d events (+%d probes) in %.1f s; injected failures %d, restarts %d; "
                        + "records raw %d (ids written more than once: %d), committed %d (duplicates: %d)%n",
                n, probes, seconds, FailOnce.FAILED.get() ? 1 : 0, restarts, raw.size(), rawDuplicates, settled.size(),
                committedDuplicates);

        assertThat(FailOnce.FAILED).isTrue();
        assertThat(restarts).isGreaterThanOrEqualTo(1);
        assertThat(out).hasSize(total);
        assertThat(committed).hasSize(total).allSatisfy((k, c) -> assertThat(c).isEqualTo(1));
        for (ConsumerRecord<byte[], byte[]> r : settled) {
            LabelScoreEvent e = JobHarness.score(r);
            if (e.getEventId().startsWith("probe-")) {
                continue; // probes may predate the update
            }
            assertThat(e.getLabelSetVersion()).as("label-set version of %s", e.getEventId()).isEqualTo(2);
            assertThat(e.getScores()).extracting(LabelScore::getLabel).containsExactlyInAnyOrder("cat", "dog", "car");
        }
        assertThat(JobHarness.committed(KAFKA, p + "-dead", 1, Duration.ofSeconds(1))).isEmpty();
    }

    @Test
    void labelSetUpdatesAndDeletionsTakeEffectMidStream() throws Exception {
        String p = "c";
        topics(p);
        KAFKA.createTopic(p + "-control", 1, Map.of("cleanup.policy", "compact"));
        Path sets = JobHarness.labelSetFile(dir, """
                label-sets:
                  - id: s
                    labels: [cat, dog]
                  - id: other
                    labels: [tree]
                """);
        Configuration conf = JobHarness.conf(KAFKA, p, MODEL, sets);
        conf.set(JobOptions.LABEL_SET_TOPIC, p + "-control");
        // This test has no failures, so the at-least-once sink must deliver each record exactly once too.
        conf.set(JobOptions.DELIVERY_GUARANTEE, JobOptions.Guarantee.AT_LEAST_ONCE);
        JobClient job = start(conf);
        List<byte[]> images = JobHarness.images(4, 3);
        int per = 40;

        produce(p, "one-", per, "s", images);
        List<ConsumerRecord<byte[], byte[]>> phase1 = JobHarness.await(job, KAFKA, p + "-labels", per, Duration.ofMinutes(2));
        assertThat(phase1).allSatisfy(r -> assertThat(JobHarness.score(r).getLabelSetVersion()).isEqualTo(1));

        KAFKA.produce(List.of(JobHarness.update(p + "-control",
                new LabelSet("s", 2, List.of("cat", "dog", "bird"), "a photo of a {}", 0.0f, 2, null, false))), false);
        awaitVersion(job, p, "s", images, 2);
        produce(p, "two-", per, "s", images);
        produce(p, "oth-", 5, "other", images);
        List<ConsumerRecord<byte[], byte[]>> all = JobHarness.await(job, KAFKA, p + "-labels", 2 * per + 5 + probes, Duration.ofMinutes(2));
        for (ConsumerRecord<byte[], byte[]> r : all) {
            LabelScoreEvent e = JobHarness.score(r);
            if (e.getEventId().startsWith("two-")) {
                assertThat(e.getLabelSetVersion()).isEqualTo(2);
                assertThat(e.getScores()).hasSize(2); // top-k 2 of the 3 new labels
                assertThat(e.getScores()).allMatch(LabelScore::getMatched); // threshold 0.0
            } else if (e.getEventId().startsWith("oth-")) {
                assertThat(e.getLabelSetVersion()).isEqualTo(1);
            }
        }

        KAFKA.produce(List.of(JobHarness.update(p + "-control",
                new LabelSet("s", 3, List.of(), null, null, null, null, true))), false);
        Thread.sleep(3000);
        produce(p, "three-", per, "s", images);
        List<ConsumerRecord<byte[], byte[]>> dead = JobHarness.await(job, KAFKA, p + "-dead", per, Duration.ofMinutes(2));
        job.cancel().get();
        assertThat(dead).hasSize(per).allSatisfy(r -> {
            assertThat(key(r)).startsWith("three-");
            assertThat(JobHarness.dead(r).getReason()).isEqualTo(DeadLetterReason.UNKNOWN_LABEL_SET);
            assertThat(JobHarness.dead(r).getMessage()).contains("deleted at version 3");
        });
    }

    private int probes;

    /** Sends probe events until one is scored at {@code version}, then waits a little for the other subtask. */
    private void awaitVersion(JobClient job, String p, String set, List<byte[]> images, long version) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (System.nanoTime() < deadline) {
            String id = "probe-" + probes++;
            KAFKA.produce(List.of(JobHarness.record(p + "-images", JobHarness.event(id, images.get(0)).setLabelSetId(set).build())), true);
            for (ConsumerRecord<byte[], byte[]> r : KAFKA.consume(p + "-labels", Integer.MAX_VALUE, Duration.ofSeconds(2))) {
                LabelScoreEvent e = JobHarness.score(r);
                if (e.getEventId().startsWith("probe-") && e.getLabelSetVersion() == version) {
                    Thread.sleep(1000);
                    return;
                }
            }
        }
        throw new AssertionError("label set " + set + " never reached version " + version);
    }

    private static void produce(String p, String prefix, int count, String set, List<byte[]> images) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            records.add(JobHarness.record(p + "-images",
                    JobHarness.event(prefix + i, images.get(i % images.size())).setLabelSetId(set).build()));
        }
        KAFKA.produce(records, true);
    }

    @Test
    void badInputsBecomeDeadLettersWithTheirReasonWhileGoodEventsAreScored() throws Exception {
        String p = "d";
        topics(p);
        StringBuilder big = new StringBuilder("label-sets:\n  - id: animals\n    labels: [cat, dog]\n"
                + "  - id: empty\n    labels: []\n  - id: big\n    top-k: 3\n    labels:\n");
        for (int i = 0; i < 2000; i++) {
            big.append("      - label number ").append(i).append('\n');
        }
        Path sets = JobHarness.labelSetFile(dir, big.toString());
        List<byte[]> images = JobHarness.images(2, 4);
        byte[] jpeg = images.get(1);
        Path allowed = java.nio.file.Files.createDirectories(dir.resolve("allowed"));
        Path allowedImage = java.nio.file.Files.write(allowed.resolve("image.png"), images.get(0));
        Map<String, DeadLetterReason> expectDead = new java.util.LinkedHashMap<>();
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        int good = 0;
        java.util.function.Consumer<ImageEvent> add = e -> records.add(JobHarness.record(p + "-images", e));
        java.util.Random random = new java.util.Random(5);
        for (int round = 0; round < 3; round++) {
            String r = "r" + round + "-";
            add.accept(JobHarness.event(r + "good-a", images.get(0)).build());
            good++;
            byte[] noise = new byte[300];
            random.nextBytes(noise);
            records.add(new ProducerRecord<>(p + "-images", (r + "random-bytes").getBytes(), noise));
            expectDead.put(r + "random-bytes", DeadLetterReason.MALFORMED_EVENT);
            records.add(new ProducerRecord<>(p + "-images", (r + "other-record").getBytes(), JobHarness.UPDATES.encode(
                    new LabelSet("x", 1, List.of("a", "b"), null, null, null, null, false).toUpdate())));
            expectDead.put(r + "other-record", DeadLetterReason.MALFORMED_EVENT);
            add.accept(JobHarness.event(r + "no-image", null).build());
            expectDead.put(r + "no-image", DeadLetterReason.MALFORMED_EVENT);
            add.accept(JobHarness.event(r + "truncated-jpeg", java.util.Arrays.copyOf(jpeg, 40)).build());
            expectDead.put(r + "truncated-jpeg", DeadLetterReason.UNDECODABLE_IMAGE);
            add.accept(JobHarness.event(r + "zero-bytes", new byte[0]).build());
            expectDead.put(r + "zero-bytes", DeadLetterReason.UNDECODABLE_IMAGE);
            add.accept(JobHarness.event(r + "huge-png", hugePngHeader(50_000, 50_000)).build());
            expectDead.put(r + "huge-png", DeadLetterReason.IMAGE_TOO_LARGE);
            add.accept(JobHarness.event(r + "unknown-set", images.get(0)).setLabelSetId("nope").build());
            expectDead.put(r + "unknown-set", DeadLetterReason.UNKNOWN_LABEL_SET);
            add.accept(JobHarness.event(r + "empty-set", images.get(0)).setLabelSetId("empty").build());
            expectDead.put(r + "empty-set", DeadLetterReason.EMPTY_LABEL_SET);
            add.accept(JobHarness.event(r + "empty-inline", images.get(0)).setLabels(List.of()).build());
            expectDead.put(r + "empty-inline", DeadLetterReason.EMPTY_LABEL_SET);
            add.accept(ImageEvent.newBuilder(JobHarness.event(r + "uri-refused", null).build())
                    .setImageUri("https://example.com/cat.jpg").build());
            expectDead.put(r + "uri-refused", DeadLetterReason.URI_NOT_ALLOWED);
            add.accept(JobHarness.event(r + "big-set", images.get(1)).setLabelSetId("big").build());
            add.accept(JobHarness.event(r + "inline", images.get(1)).setLabels(List.of("sun", "moon")).build());
            add.accept(JobHarness.event(r + "good-b", images.get(1)).build());
            add.accept(ImageEvent.newBuilder(JobHarness.event(r + "uri-allowed", null).build())
                    .setImageUri(allowedImage.toUri().toString()).build());
            add.accept(ImageEvent.newBuilder(JobHarness.event(r + "uri-missing", null).build())
                    .setImageUri(allowed.resolve("missing.png").toUri().toString()).build());
            expectDead.put(r + "uri-missing", DeadLetterReason.FETCH_FAILED);
            good += 4;
        }
        KAFKA.produce(records, true);
        Configuration conf = JobHarness.conf(KAFKA, p, MODEL, sets);
        conf.set(JobOptions.URI_ALLOWLIST, List.of(allowed.toUri().toString()));
        conf.set(JobOptions.ASYNC_MODE, JobOptions.AsyncMode.UNORDERED);
        JobClient job = start(conf);
        List<ConsumerRecord<byte[], byte[]>> dead = JobHarness.await(job, KAFKA, p + "-dead", expectDead.size(), Duration.ofMinutes(2));
        List<ConsumerRecord<byte[], byte[]>> scored = JobHarness.await(job, KAFKA, p + "-labels", good, Duration.ofMinutes(2));
        job.cancel().get();

        Map<String, DeadLetterReason> gotDead = new java.util.TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : dead) {
            DeadLetter d = JobHarness.dead(r);
            gotDead.put(key(r), d.getReason());
            assertThat(d.getOriginal()).as("original bytes of %s", key(r)).isNotNull();
            assertThat(d.getSourceTopic()).isEqualTo(p + "-images");
        }
        assertThat(gotDead).isEqualTo(new java.util.TreeMap<>(expectDead));
        assertThat(scored).hasSize(good);
        for (ConsumerRecord<byte[], byte[]> r : scored) {
            LabelScoreEvent e = JobHarness.score(r);
            if (e.getEventId().endsWith("big-set")) {
                assertThat(e.getLabelSetId()).isEqualTo("big");
                assertThat(e.getScores()).hasSize(3);
                assertThat(e.getScores().get(0).getLabel()).startsWith("label number ");
            } else if (e.getEventId().endsWith("inline")) {
                assertThat(e.getLabelSetId()).isEqualTo("inline");
                assertThat(e.getScores()).extracting(LabelScore::getLabel).containsExactlyInAnyOrder("sun", "moon");
            } else {
                assertThat(e.getLabelSetId()).isEqualTo("animals");
            }
        }
    }

    /** Attempts at red images, over all retries. */
    static final java.util.concurrent.atomic.AtomicInteger RED_ATTEMPTS = new java.util.concurrent.atomic.AtomicInteger();

    /** The fake model, except that red images fail inference and blue ones take 3 s. */
    static final class FlakyLoader implements ModelLoader {
        private static final long serialVersionUID = 1L;

        @Override
        public dev.siglipstream.stream.model.EmbeddingModel load(dev.siglipstream.stream.model.ModelSpec spec) {
            return new dev.siglipstream.stream.FakeModel() {
                @Override
                public float[][] imageEmbeddings(FloatBuffer px, int count) {
                    float r = px.get(0);
                    float b = px.get(2 * 16);
                    if (r > 0.9f && b < 0.1f) {
                        RED_ATTEMPTS.incrementAndGet();
                        throw new IllegalStateException("injected inference failure");
                    }
                    if (b > 0.9f && r < 0.1f) {
                        try {
                            Thread.sleep(3000);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    return super.imageEmbeddings(px, count);
                }
            };
        }
    }

    private static byte[] solid(java.awt.Color c) {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = img.createGraphics();
        g.setColor(c);
        g.fillRect(0, 0, 8, 8);
        g.dispose();
        return JobHarness.encode(img, "png");
    }

    @Test
    void inferenceFailuresAfterRetriesAndTimeoutsBecomeDeadLetters() throws Exception {
        String p = "f";
        topics(p);
        Path sets = JobHarness.labelSetFile(dir, "label-sets:\n  - id: s\n    labels: [a, b]\n");
        Configuration conf = JobHarness.conf(KAFKA, p, MODEL, sets);
        conf.set(JobOptions.MAX_BATCH_SIZE, 1);
        conf.set(JobOptions.ASYNC_RETRIES, 2);
        conf.set(JobOptions.ASYNC_RETRY_DELAY, Duration.ofMillis(50));
        conf.set(JobOptions.ASYNC_TIMEOUT, Duration.ofMillis(1500));
        conf.set(JobOptions.PARALLELISM, 1);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(conf);
        SiglipStreamJob.build(env, conf, new FlakyLoader());
        JobClient job = env.executeAsync("itcase-f");

        List<ProducerRecord<byte[], byte[]>> first = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            first.add(JobHarness.record(p + "-images", JobHarness.event("green-" + i, solid(java.awt.Color.GREEN)).build()));
            first.add(JobHarness.record(p + "-images", JobHarness.event("red-" + i, solid(java.awt.Color.RED)).build()));
        }
        KAFKA.produce(first, true);
        List<ConsumerRecord<byte[], byte[]>> failed = JobHarness.await(job, KAFKA, p + "-dead", 3, Duration.ofMinutes(2));
        List<ConsumerRecord<byte[], byte[]>> scored = JobHarness.await(job, KAFKA, p + "-labels", 3, Duration.ofMinutes(2));
        assertThat(scored).extracting(JobHarness::key).containsExactlyInAnyOrder("green-0", "green-1", "green-2");
        assertThat(failed).extracting(JobHarness::key).containsExactlyInAnyOrder("red-0", "red-1", "red-2");
        assertThat(failed).allSatisfy(r -> {
            assertThat(JobHarness.dead(r).getReason()).isEqualTo(DeadLetterReason.INFERENCE_FAILED);
            assertThat(JobHarness.dead(r).getMessage()).contains("injected inference failure");
        });
        assertThat(RED_ATTEMPTS).as("1 attempt + 2 retries per red image").hasValue(9);

        KAFKA.produce(List.of(JobHarness.record(p + "-images", JobHarness.event("blue", solid(java.awt.Color.BLUE)).build())), true);
        List<ConsumerRecord<byte[], byte[]>> dead = JobHarness.await(job, KAFKA, p + "-dead", 4, Duration.ofMinutes(2));
        job.cancel().get();
        ConsumerRecord<byte[], byte[]> blue = dead.stream().filter(r -> key(r).equals("blue")).findFirst().orElseThrow();
        assertThat(JobHarness.dead(blue).getReason()).isEqualTo(DeadLetterReason.TIMEOUT);
    }

    /** A PNG that is only a valid signature and IHDR claiming {@code w x h} pixels. */
    static byte[] hugePngHeader(int w, int h) {
        return dev.siglipstream.testutils.TestImages.pngHeader(w, h);
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
