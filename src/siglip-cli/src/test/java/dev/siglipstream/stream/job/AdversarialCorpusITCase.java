package dev.siglipstream.stream.job;

import static dev.siglipstream.stream.job.JobHarness.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.events.LabelScore;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.siglip.onnx.OnnxOptions;
import dev.siglipstream.siglip.onnx.SiglipModel;
import dev.siglipstream.stream.labels.LabelSet;
import dev.siglipstream.stream.operator.OutputSerializer;
import dev.siglipstream.stream.options.JobOptions;
import dev.siglipstream.stream.serde.WireFormat;
import dev.siglipstream.testutils.CliRun;
import dev.siglipstream.testutils.KafkaFixture;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Future;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad-input corpus of {@link SiglipStreamJobITCase}, extended with the records and control-topic
 * updates that once stopped the job or poisoned its scores: every id sent must end as exactly one
 * scored event or one dead letter with the right reason (read with read_committed), and good events
 * sent after the attacks must be scored within a bounded time. New attacks are added here.
 */
class AdversarialCorpusITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    @RegisterExtension
    static final KafkaFixture KAFKA = new KafkaFixture();

    /** How long a good event sent after the attacks may take to be scored. */
    static final Duration GOOD_EVENT_BOUND = Duration.ofSeconds(60);
    private static final int MIB = 1024 * 1024;

    @TempDir Path dir;

    private static JobClient start(Configuration conf) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(conf);
        SiglipStreamJob.build(env, conf, SiglipStreamJobITCase.LOADER);
        return env.executeAsync("adversarial");
    }

    /** Sends with a producer that takes records up to the broker's 16 MiB; returns each record's metadata. */
    private static List<RecordMetadata> send(List<ProducerRecord<byte[], byte[]>> records) throws Exception {
        Properties p = KAFKA.producerProperties();
        p.put("max.request.size", String.valueOf(16 * MIB));
        List<RecordMetadata> out = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (ProducerRecord<byte[], byte[]> r : records) {
                acks.add(producer.send(r));
            }
            for (Future<RecordMetadata> a : acks) {
                out.add(a.get());
            }
        }
        return out;
    }

    /** The input, output and dead-letter topics, and the job's settings with the static set 'animals'. */
    private Configuration setUp(String p, int partitions) throws Exception {
        for (String topic : List.of("-images", "-labels", "-dead")) {
            KAFKA.createTopic(p + topic, partitions);
        }
        Path sets = JobHarness.labelSetFile(dir, "label-sets:\n  - id: animals\n    labels: [cat, dog]\n");
        return JobHarness.conf(KAFKA, p, SiglipStreamJobITCase.MODEL, sets);
    }

    private static ProducerRecord<byte[], byte[]> control(String topic, LabelSet set) {
        return JobHarness.update(topic, set);
    }

    @Test
    void everyAttackEndsAsOneScoreOrOneDeadLetterAndGoodEventsAfterThemAreScoredInTime() throws Exception {
        String p = "adv";
        Configuration conf = setUp(p, 2);
        KAFKA.createTopic(p + "-control", 1);
        conf.set(JobOptions.LABEL_SET_TOPIC, p + "-control");
        conf.set(JobOptions.ASYNC_MODE, JobOptions.AsyncMode.UNORDERED);
        List<byte[]> images = JobHarness.images(2, 13);
        Map<String, DeadLetterReason> expectDead = new LinkedHashMap<>();
        List<String> expectScored = new ArrayList<>();

        JobClient job = start(conf);
        // Control-topic attacks: each one put the job into a restart loop, or would have been applied.
        send(List.of(
                new ProducerRecord<>(p + "-control", "garbage".getBytes(StandardCharsets.UTF_8), "not avro at all".getBytes(StandardCharsets.UTF_8)),
                control(p + "-control", new LabelSet("huge", 1, Collections.nCopies(20_000, "a label"), null, null, null, null, false)),
                control(p + "-control", new LabelSet("animals", 2, List.of("cat"), "{} {{}} %s %n {0} {", null, null, null, false)),
                control(p + "-control", new LabelSet("animals", 3, List.of("cat"), null, null, null, "bad topic!!", false)),
                control(p + "-control", new LabelSet("animals", 4, List.of("cat", "dog", "bird"), "a photo of {}", 0f, null, null, false))));
        // The good update after the refused ones is in force once a probe is scored at version 4.
        int probes = 0;
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        boolean v4 = false;
        while (!v4 && System.nanoTime() < deadline) {
            String id = "probe-" + probes++;
            expectScored.add(id);
            send(List.of(JobHarness.record(p + "-images", JobHarness.event(id, images.get(0)).build())));
            for (ConsumerRecord<byte[], byte[]> r : JobHarness.await(job, KAFKA, p + "-labels", probes, Duration.ofSeconds(3))) {
                v4 |= JobHarness.score(r).getLabelSetVersion() == 4;
            }
        }
        assertThat(v4).as("the valid update after the refused ones took effect").isTrue();

        // Record-level attacks, in one batch.
        List<ProducerRecord<byte[], byte[]>> attacks = new ArrayList<>();
        byte[] noise = new byte[10 * MIB];
        new Random(10).nextBytes(noise);
        attacks.add(new ProducerRecord<>(p + "-images", "noise-10mb".getBytes(StandardCharsets.UTF_8), noise));
        expectDead.put("noise-10mb", DeadLetterReason.MALFORMED_EVENT);
        List<String> inline = new ArrayList<>();
        for (int i = 0; i < 12_000; i++) {
            inline.add(String.format("%-100s", "label " + i));
        }
        attacks.add(JobHarness.record(p + "-images", JobHarness.event("inline-1.2mb", images.get(0)).setLabels(inline).build()));
        expectDead.put("inline-1.2mb", DeadLetterReason.INVALID_LABEL_SET);
        attacks.add(JobHarness.record(p + "-images", JobHarness.event("metadata-1.1mb", images.get(0))
                .setMetadata(Map.of("blob", "m".repeat(1_100_000))).build()));
        expectDead.put("metadata-1.1mb", DeadLetterReason.OUTPUT_TOO_LARGE);
        attacks.add(JobHarness.record(p + "-images", JobHarness.event("refused-set", images.get(0)).setLabelSetId("huge").build()));
        expectDead.put("refused-set", DeadLetterReason.UNKNOWN_LABEL_SET);
        // Equal String.hashCode ("Aa" = "BB"), and the lists whose Objects.hash collide.
        Map<String, List<String>> colliding = Map.of("collide-aa", List.of("Aa x"), "collide-bb", List.of("BB x"),
                "two-labels", List.of("a cat", "a dog"), "one-label", List.of("bcgmfg"));
        for (String id : List.of("collide-aa", "collide-bb", "two-labels", "one-label")) {
            attacks.add(JobHarness.record(p + "-images", JobHarness.event(id, images.get(1)).setLabels(colliding.get(id)).build()));
            expectScored.add(id);
        }
        attacks.add(JobHarness.record(p + "-images", JobHarness.event("animals-v4", images.get(1)).build()));
        expectScored.add("animals-v4");
        List<RecordMetadata> sent = send(attacks);

        // Good events after the attacks: scored within the bound.
        List<ProducerRecord<byte[], byte[]>> good = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            good.add(JobHarness.record(p + "-images", JobHarness.event("after-" + i, images.get(i % 2)).build()));
            expectScored.add("after-" + i);
        }
        long sentAt = System.nanoTime();
        send(good);
        List<ConsumerRecord<byte[], byte[]>> scored = JobHarness.await(job, KAFKA, p + "-labels", expectScored.size(), GOOD_EVENT_BOUND);
        long scoredMs = (System.nanoTime() - sentAt) / 1_000_000;
        List<ConsumerRecord<byte[], byte[]>> dead = JobHarness.await(job, KAFKA, p + "-dead", expectDead.size() + 4, Duration.ofSeconds(30));
        // Nothing more arrives: no duplicate from a restart or from the other subtask.
        Thread.sleep(2000);
        scored = KAFKA.consume(p + "-labels", Integer.MAX_VALUE, Duration.ofSeconds(3));
        dead = KAFKA.consume(p + "-dead", Integer.MAX_VALUE, Duration.ofSeconds(3));
        assertThat(job.getJobStatus().get().isTerminalState()).as("the job is still running").isFalse();
        job.cancel().get();
        System.out.printf("adversarial corpus: %d good events after the attacks scored within %d ms%n", good.size(), scoredMs);
        assertThat(scoredMs).isLessThan(GOOD_EVENT_BOUND.toMillis());

        // Exactly one output per id sent; refused updates are keyed by their set's id.
        Map<String, List<String>> outputs = new TreeMap<>();
        Map<String, DeadLetter> deadById = new HashMap<>();
        Map<String, LabelScoreEvent> scoredById = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : scored) {
            LabelScoreEvent e = JobHarness.score(r);
            outputs.computeIfAbsent(key(r), k -> new ArrayList<>()).add("scored");
            scoredById.put(key(r), e);
        }
        for (ConsumerRecord<byte[], byte[]> r : dead) {
            DeadLetter d = JobHarness.dead(r);
            outputs.computeIfAbsent(key(r), k -> new ArrayList<>()).add(d.getReason().name());
            deadById.put(key(r), d);
            Map<String, String> headers = new HashMap<>();
            for (Header h : r.headers()) {
                headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
            }
            assertThat(headers).containsEntry(OutputSerializer.REASON, d.getReason().name()).containsEntry(OutputSerializer.STAGE, d.getStage());
            assertThat(r.serializedValueSize()).isLessThan(MIB);
        }
        Map<String, List<String>> expected = new TreeMap<>();
        expectScored.forEach(id -> expected.put(id, List.of("scored")));
        expectDead.forEach((id, reason) -> expected.put(id, List.of(reason.name())));
        expected.put("huge", List.of("INVALID_LABEL_SET"));
        expected.put("garbage", List.of("INVALID_LABEL_SET"));
        expected.put("animals", List.of("INVALID_LABEL_SET", "INVALID_LABEL_SET"));
        assertThat(outputs).isEqualTo(expected);

        // The 10 MB record: an excerpt, its size and hash, and where the whole of it is.
        DeadLetter n = deadById.get("noise-10mb");
        assertThat(n.getOriginal().remaining()).isEqualTo(64 * 1024);
        assertThat(n.getOriginalSize()).isEqualTo(noise.length);
        assertThat(n.getOriginalSha256()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(noise)));
        assertThat(n.getSourceTopic()).isEqualTo(p + "-images");
        assertThat(n.getSourcePartition()).isEqualTo(sent.get(0).partition());
        assertThat(n.getSourceOffset()).isEqualTo(sent.get(0).offset());
        assertThat(deadById.get("huge").getSourceTopic()).isEqualTo(p + "-control");
        assertThat(deadById.get("huge").getSourceOffset()).isEqualTo(1L);
        assertThat(deadById.get("garbage").getMessage()).contains("not an Avro LabelSetUpdate");
        assertThat(deadById.get("inline-1.2mb").getMessage()).contains("has 12000 labels, the limit is 100");
        assertThat(deadById.get("metadata-1.1mb").getStage()).isEqualTo("sink");
        assertThat(deadById.get("metadata-1.1mb").getSourceOffset()).isEqualTo(sent.get(2).offset());
        assertThat(dead.stream().filter(r -> key(r).equals("animals")).map(r -> JobHarness.dead(r).getMessage()))
                .anyMatch(m -> m.contains(".template '{} {{}} %s %n {0} {' cannot be used"))
                .anyMatch(m -> m.contains(".output-topic 'bad topic!!' is not a valid Kafka topic name"));

        // Colliding hashes: each event scored against its own labels, as the library scores them.
        try (SiglipModel m = SiglipModel.load(Path.of(SiglipStreamJobITCase.MODEL), OnnxOptions.defaults())) {
            for (String id : colliding.keySet()) {
                LabelScoreEvent e = scoredById.get(id);
                List<String> labels = colliding.get(id);
                assertThat(e.getScores()).extracting(LabelScore::getLabel).containsExactlyInAnyOrderElementsOf(labels);
                float[] want = SiglipStreamJobITCase.direct(m, images.get(1), LabelSet.inline(labels).hypotheses());
                for (LabelScore s : e.getScores()) {
                    assertThat(s.getScore()).as(id).isCloseTo(want[labels.indexOf(s.getLabel())], within(1e-5f));
                }
            }
        }
        assertThat(scoredById.get("collide-aa").getScores().get(0).getScore())
                .isNotEqualTo(scoredById.get("collide-bb").getScores().get(0).getScore());
        LabelScoreEvent v4Event = scoredById.get("animals-v4");
        assertThat(v4Event.getLabelSetVersion()).isEqualTo(4);
        assertThat(v4Event.getScores()).hasSize(3).allMatch(LabelScore::getMatched); // threshold 0
    }

    @Test
    void confluentFramingWithTheSharedDefaultSchemaIdRunsEndToEndThroughProduceAndConsume() throws Exception {
        String p = "cfl";
        Configuration conf = setUp(p, 1);
        conf.set(JobOptions.WIRE_FORMAT, WireFormat.CONFLUENT); // and the default schema id, as `run --wire-format confluent`
        Path good = Files.write(dir.resolve("good.png"), JobHarness.images(1, 3).get(0));
        Path broken = Files.write(dir.resolve("broken.png"), Arrays.copyOf(JobHarness.images(1, 3).get(0), 30));
        JobClient job = start(conf);

        CliRun produced = CliRun.of("produce", "--bootstrap", KAFKA.bootstrapServers(), "--topic", p + "-images",
                "--wire-format", "confluent", "--label-set", "animals", "--id-prefix", "cf-", good.toString(), broken.toString());
        assertThat(produced.exitCode()).as(produced.err()).isZero();
        assertThat(produced.out().lines().toList()).containsExactly("cf-0", "cf-1");

        CliRun scores = CliRun.of("consume", "--bootstrap", KAFKA.bootstrapServers(), "--topic", p + "-labels",
                "--wire-format", "confluent", "--max", "1", "--timeout", "90s");
        CliRun dead = CliRun.of("consume", "--bootstrap", KAFKA.bootstrapServers(), "--topic", p + "-dead",
                "--wire-format", "confluent", "--max", "1", "--timeout", "30s");
        job.cancel().get();
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> scored = jsonLines(json, scores.out());
        assertThat(scored).as(scores.err()).singleElement().satisfies(s -> {
            assertThat(s.get("eventId").asText()).isEqualTo("cf-0");
            assertThat(s.get("labelSetId").asText()).isEqualTo("animals");
            assertThat(s.get("scores")).hasSize(2);
        });
        assertThat(jsonLines(json, dead.out())).as(dead.err()).singleElement().satisfies(d -> {
            assertThat(d.get("eventId").asText()).isEqualTo("cf-1");
            assertThat(d.get("reason").asText()).isEqualTo("UNDECODABLE_IMAGE"); // not MALFORMED_EVENT: the framing agreed
        });
        byte[] value = KAFKA.consume(p + "-labels", 1, Duration.ofSeconds(10)).get(0).value();
        assertThat(ByteBuffer.wrap(value, 0, 5).get()).isZero();
        assertThat(ByteBuffer.wrap(value, 1, 4).getInt()).isEqualTo(WireFormat.DEFAULT_SCHEMA_ID);
    }

    private static List<JsonNode> jsonLines(ObjectMapper json, String out) throws Exception {
        List<JsonNode> nodes = new ArrayList<>();
        for (String line : out.lines().toList()) {
            if (line.startsWith("{")) {
                nodes.add(json.readTree(line));
            }
        }
        return nodes;
    }
}
