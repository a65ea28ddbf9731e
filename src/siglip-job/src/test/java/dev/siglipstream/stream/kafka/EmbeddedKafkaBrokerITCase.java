package dev.siglipstream.stream.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The in-process KRaft broker: start-up, topics, transactions with read_committed, compaction config, restart. */
class EmbeddedKafkaBrokerITCase {
    private static EmbeddedKafkaBroker broker;
    private static long startMillis;

    @BeforeAll
    static void startBroker() {
        long t0 = System.nanoTime();
        broker = EmbeddedKafkaBroker.start(null, 0);
        startMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        System.err.println("EmbeddedKafkaBroker started in " + startMillis + " ms at " + broker.bootstrapServers());
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            Path dir = broker.dataDir();
            broker.close();
            assertThat(dir).doesNotExist();
        }
    }

    @Test
    void startsOnLoopbackWithAFreePort() {
        // The start time is printed, not asserted: on a loaded 2-core machine a cold JVM takes 2-30 s.
        assertThat(broker.bootstrapServers()).matches("127\\.0\\.0\\.1:\\d+");
        assertThat(startMillis).isPositive();
    }

    @Test
    void transactionalWritesAreVisibleToReadCommittedOnlyWhenCommitted() throws Exception {
        broker.createTopic("tx", 2);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps("tx-test"))) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("tx", "a", "aborted-1"));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>("tx", "k" + i, "committed-" + i));
            }
            producer.commitTransaction();
        }
        List<String> values = new ArrayList<>();
        for (ConsumerRecord<String, String> r : readAll("tx", 5)) {
            values.add(r.value());
        }
        assertThat(values).containsExactlyInAnyOrder("committed-0", "committed-1", "committed-2", "committed-3", "committed-4");
    }

    @Test
    void createsCompactedTopicsAndAcceptsLongTransactionTimeouts() throws Exception {
        broker.createTopic("label-sets", 1, Map.of("cleanup.policy", "compact"));
        broker.createTopic("label-sets", 1, Map.of("cleanup.policy", "compact")); // existing: no error
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "label-sets");
            Config config = admin.describeConfigs(List.of(topic)).all().get(30, TimeUnit.SECONDS).get(topic);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
            assertThat(admin.describeTopics(List.of("label-sets")).allTopicNames().get().get("label-sets").partitions()).hasSize(1);
        }
        // One hour, what a Flink exactly-once sink may ask for; the broker default cap is 15 minutes.
        Properties p = producerProps("long-tx");
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "3600000");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("label-sets", "animals", "v1"));
            producer.send(new ProducerRecord<>("label-sets", "animals", "v2"));
            producer.commitTransaction();
        }
        assertThat(readAll("label-sets", 2)).extracting(ConsumerRecord::value).containsExactly("v1", "v2");
    }

    @Test
    void rejectsBadTopicArguments() {
        assertThatThrownBy(() -> broker.createTopic("zero", 0)).hasMessageContaining("partitions must be >= 1, got 0");
    }

    @Test
    void aPortInUseIsAClearErrorAndLeavesNoTemporaryDirectory() throws Exception {
        int busy = Integer.parseInt(broker.bootstrapServers().substring(broker.bootstrapServers().indexOf(':') + 1));
        long before;
        try (java.util.stream.Stream<Path> tmp = java.nio.file.Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            before = tmp.filter(p -> p.getFileName().toString().startsWith("siglip-kafka-")).count();
        }
        assertThatThrownBy(() -> EmbeddedKafkaBroker.start(null, busy))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot start the in-process Kafka broker")
                .hasMessageContaining("on port " + busy + ": ");
        try (java.util.stream.Stream<Path> tmp = java.nio.file.Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(tmp.filter(p -> p.getFileName().toString().startsWith("siglip-kafka-")).count()).isEqualTo(before);
        }
        // The running broker is unaffected.
        broker.createTopic("still-alive", 1);
    }

    @Test
    void restartOnTheSameDirectoryKeepsTopicsAndData(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("kafka");
        try (EmbeddedKafkaBroker first = EmbeddedKafkaBroker.start(data, 0)) {
            first.createTopic("kept", 1);
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(null, first))) {
                producer.send(new ProducerRecord<>("kept", "k", "survives")).get(30, TimeUnit.SECONDS);
            }
        }
        assertThat(data.resolve("meta.properties")).exists();
        try (EmbeddedKafkaBroker second = EmbeddedKafkaBroker.start(data, 0)) {
            assertThat(readAll(second, "kept", 1)).extracting(ConsumerRecord::value).containsExactly("survives");
        }
        assertThat(data).exists();
    }

    private static Properties producerProps(String transactionalId) {
        return producerProps(transactionalId, broker);
    }

    private static Properties producerProps(String transactionalId, EmbeddedKafkaBroker b) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        if (transactionalId != null) {
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        }
        return p;
    }

    private static List<ConsumerRecord<String, String>> readAll(String topic, int expected) {
        return readAll(broker, topic, expected);
    }

    private static List<ConsumerRecord<String, String>> readAll(EmbeddedKafkaBroker b, String topic, int expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + topic);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline && out.size() < expected) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            // Anything beyond the expected count (e.g. an aborted record leaking) must show up too.
            consumer.poll(Duration.ofMillis(500)).forEach(out::add);
            assertThat(consumer.assignment()).isNotEmpty().allMatch((TopicPartition tp) -> tp.topic().equals(topic));
        }
        assertThat(out).as("records in %s", topic).hasSize(expected);
        return out;
    }
}
