package dev.siglipstream.stream.job;

import static dev.siglipstream.stream.job.JobHarness.countByKey;
import static dev.siglipstream.stream.job.JobHarness.key;
import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.stream.options.JobOptions;
import dev.siglipstream.stream.registry.RegistrySettings;
import dev.siglipstream.stream.registry.SchemaRegistryClient;
import dev.siglipstream.stream.serde.AvroCodec;
import dev.siglipstream.stream.serde.WireFormat;
import dev.siglipstream.testutils.ApicurioRegistry;
import dev.siglipstream.testutils.KafkaFixture;
import dev.siglipstream.testutils.PausableProxy;
import dev.siglipstream.testutils.RegistryRecords;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job with {@code --wire-format confluent} and a real schema registry (Apicurio Registry, see
 * {@link ApicurioRegistry}) behind a {@link PausableProxy}: producers with two writer versions of
 * ImageEvent, output read back through the registry by schema id, and a registry outage mid-stream.
 */
class SchemaRegistryJobITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    @RegisterExtension
    static final KafkaFixture KAFKA = new KafkaFixture();

    private static final Schema OLDER = RegistryRecords.schema("ImageEvent-older");
    private static final Schema NEWER = RegistryRecords.schema("ImageEvent-newer");
    private static final Schema INCOMPATIBLE = RegistryRecords.schema("ImageEvent-incompatible");
    private static ApicurioRegistry registry;

    @TempDir Path dir;

    @BeforeAll
    static void startRegistry() {
        registry = ApicurioRegistry.shared();
    }

    private static String proxied(PausableProxy proxy) {
        return "http://127.0.0.1:" + proxy.port() + "/apis/ccompat/v7";
    }

    private Configuration conf(String p, String registryUrl) throws Exception {
        KAFKA.createTopic(p + "-images", 2);
        KAFKA.createTopic(p + "-labels", 2);
        KAFKA.createTopic(p + "-dead", 2);
        Path sets = JobHarness.labelSetFile(dir, """
                label-sets:
                  - id: animals
                    labels: [cat, dog, bird]
                """);
        Configuration c = JobHarness.conf(KAFKA, p, SiglipStreamJobITCase.MODEL, sets);
        c.set(JobOptions.WIRE_FORMAT, WireFormat.CONFLUENT);
        c.set(JobOptions.SCHEMA_REGISTRY_URL, List.of(registryUrl));
        c.set(JobOptions.SCHEMA_REGISTRY_RETRIES, 2);
        c.set(JobOptions.SCHEMA_REGISTRY_RETRY_BACKOFF, Duration.ofMillis(100));
        c.set(JobOptions.SCHEMA_REGISTRY_TIMEOUT, Duration.ofSeconds(2));
        // As deployed: a registry that does not answer in time fails the task, and Flink restarts it from the
        // checkpoint, backing off up to 4 s (a cold registry on a busy machine can miss the 2 s timeout).
        c.setString("restart-strategy.type", "exponential-delay");
        c.setString("restart-strategy.exponential-delay.initial-backoff", "500 ms");
        c.setString("restart-strategy.exponential-delay.max-backoff", "4 s");
        c.setString("restart-strategy.exponential-delay.attempts-before-reset-backoff", "1000");
        return c;
    }

    private static JobClient start(Configuration conf) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(conf);
        SiglipStreamJob.build(env, conf, SiglipStreamJobITCase.LOADER);
        return env.executeAsync("registry-itcase");
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String id, int schemaId, Schema writer, byte[] image) {
        return new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8),
                RegistryRecords.frame(schemaId, RegistryRecords.imageEvent(writer, id, image, "animals")));
    }

    private static int headerId(byte[] value) {
        assertThat(value[0]).as("magic byte").isZero();
        return ByteBuffer.wrap(value, 1, 4).getInt();
    }

    @Test
    void twoWriterVersionsAreScoredAndTheUnreadableAreDeadLetteredWithTheirReason() throws Exception {
        String p = "reg";
        try (PausableProxy proxy = new PausableProxy(registry.port())) {
            RegistrySettings settings = RegistrySettings.of(registry.url());
            SchemaRegistryClient producerSide = new SchemaRegistryClient(settings);
            int older = producerSide.register(p + "-images-value", OLDER);
            int newer = producerSide.register(p + "-images-value", NEWER);
            int incompatible = producerSide.register(p + "-legacy-value", INCOMPATIBLE);
            int unknown = 900_000;

            List<byte[]> images = JobHarness.images(4, 3);
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
            int n = 40;
            for (int i = 0; i < n; i++) {
                records.add(i % 2 == 0
                        ? record(p + "-images", "old" + i, older, OLDER, images.get(i % 4))
                        : record(p + "-images", "new" + i, newer, NEWER, images.get(i % 4)));
            }
            records.add(record(p + "-images", "bad0", incompatible, INCOMPATIBLE, images.get(0)));
            records.add(new ProducerRecord<>(p + "-images", "ghost0".getBytes(StandardCharsets.UTF_8),
                    RegistryRecords.frame(unknown, RegistryRecords.imageEvent(OLDER, "ghost0", images.get(0), "animals"))));
            KAFKA.produce(records, true);

            JobClient job = start(conf(p, proxied(proxy)));
            List<ConsumerRecord<byte[], byte[]>> scored = JobHarness.await(job, KAFKA, p + "-labels", n, Duration.ofMinutes(3));
            List<ConsumerRecord<byte[], byte[]>> dead = JobHarness.await(job, KAFKA, p + "-dead", 2, Duration.ofMinutes(1));
            job.cancel().get();

            // Read back the way a Confluent-style consumer does: the id in each header, the schema from the registry.
            SchemaRegistryClient consumerSide = new SchemaRegistryClient(settings);
            int scoreId = consumerSide.lookup(p + "-labels-value", LabelScoreEvent.getClassSchema());
            int deadId = consumerSide.lookup(p + "-dead-value", DeadLetter.getClassSchema());
            AvroCodec<LabelScoreEvent> scores = AvroCodec.registry(LabelScoreEvent.class, settings);
            AvroCodec<DeadLetter> deadLetters = AvroCodec.registry(DeadLetter.class, settings);
            Map<String, Integer> every = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : scored) {
                assertThat(headerId(r.value())).isEqualTo(scoreId);
                assertThat(consumerSide.schemaById(headerId(r.value()))).isEqualTo(LabelScoreEvent.getClassSchema());
                LabelScoreEvent e = scores.decode(r.value());
                assertThat(e.getEventId()).isEqualTo(key(r));
                assertThat(e.getScores()).hasSize(3);
                every.merge(e.getEventId(), 1, Integer::sum);
            }
            Map<String, DeadLetter> byId = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : dead) {
                assertThat(headerId(r.value())).isEqualTo(deadId);
                DeadLetter d = deadLetters.decode(r.value());
                byId.put(key(r), d);
                every.merge(key(r), 1, Integer::sum);
            }
            assertThat(every).hasSize(n + 2).allSatisfy((k, c) -> assertThat(c).as(k).isEqualTo(1));
            assertThat(countByKey(scored).keySet()).allMatch(k -> k.startsWith("old") || k.startsWith("new"));
            assertThat(byId.get("bad0").getReason()).isEqualTo(DeadLetterReason.INCOMPATIBLE_SCHEMA);
            assertThat(byId.get("bad0").getMessage()).contains("writer schema id " + incompatible)
                    .contains("incompatible with the reader schema").contains("TYPE_MISMATCH").contains("/fields/0");
            assertThat(byId.get("ghost0").getReason()).isEqualTo(DeadLetterReason.UNKNOWN_SCHEMA);
            assertThat(byId.get("ghost0").getMessage()).contains("writer schema id " + unknown + " is unknown to the schema registry");
            assertThat(byId.get("ghost0").getOriginal()).isNotNull();
        }
    }

    @Test
    void aThirtySecondRegistryOutageMidStreamLosesAndDuplicatesNothing() throws Exception {
        String p = "outage";
        Duration outage = Duration.ofSeconds(30);
        try (PausableProxy proxy = new PausableProxy(registry.port())) {
            SchemaRegistryClient producerSide = new SchemaRegistryClient(RegistrySettings.of(registry.url()));
            int older = producerSide.register(p + "-images-value", OLDER);
            int newer = producerSide.register(p + "-images-value", NEWER);
            List<byte[]> images = JobHarness.images(4, 5);
            int half = 30;
            List<ProducerRecord<byte[], byte[]>> first = new ArrayList<>();
            for (int i = 0; i < half; i++) {
                first.add(record(p + "-images", "a" + i, older, OLDER, images.get(i % 4)));
            }
            KAFKA.produce(first, true);

            Configuration conf = conf(p, proxied(proxy));
            JobClient job = start(conf);
            assertThat(JobHarness.await(job, KAFKA, p + "-labels", half, Duration.ofMinutes(2))).hasSize(half);

            // Mid-stream: the registry goes away, and events arrive from a writer version this job has not seen yet.
            proxy.pause();
            long pausedAt = System.nanoTime();
            List<ProducerRecord<byte[], byte[]>> second = new ArrayList<>();
            for (int i = 0; i < half; i++) {
                second.add(record(p + "-images", "b" + i, newer, NEWER, images.get(i % 4)));
            }
            KAFKA.produce(second, true);
            Thread.sleep(Math.max(0, outage.toMillis() - (System.nanoTime() - pausedAt) / 1_000_000));
            int refused = proxy.refused();
            List<ConsumerRecord<byte[], byte[]>> during = JobHarness.committed(KAFKA, p + "-labels", half + 1, Duration.ofSeconds(1));
            List<ConsumerRecord<byte[], byte[]>> deadDuring = JobHarness.committed(KAFKA, p + "-dead", 1, Duration.ofSeconds(1));
            proxy.resume();

            List<ConsumerRecord<byte[], byte[]>> scored = JobHarness.await(job, KAFKA, p + "-labels", 2 * half, Duration.ofMinutes(2));
            job.cancel().get();
            System.out.printf("ITCase(registry outage): %d connections refused during %d s; %d scored before, %d after%n",
                    refused, outage.toSeconds(), during.size(), scored.size());

            assertThat(refused).as("the job asked the registry during the outage").isPositive();
            assertThat(during).as("nothing of the second half while the registry was down").hasSize(half);
            assertThat(deadDuring).as("an unreachable registry is no reason to dead-letter").isEmpty();
            assertThat(countByKey(scored)).hasSize(2 * half).allSatisfy((k, c) -> assertThat(c).as(k).isEqualTo(1));
            assertThat(JobHarness.committed(KAFKA, p + "-dead", 1, Duration.ofSeconds(1))).isEmpty();
        }
    }
}
