package dev.siglipstream.testutils;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import dev.siglipstream.stream.kafka.EmbeddedKafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * A Kafka broker for integration tests: Testcontainers' Kafka where Docker exists, the in-process
 * KRaft broker ({@link EmbeddedKafkaBroker}) otherwise, so every integration test runs everywhere.
 *
 * <p>As a JUnit 5 extension it starts before the class's tests and stops after them:
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaFixture KAFKA = new KafkaFixture();
 * ...
 * KAFKA.createTopic("in", 2);
 * KAFKA.produce(List.of(new ProducerRecord<>("in", key, value)), true);
 * List<ConsumerRecord<byte[], byte[]>> out = KAFKA.consume("out", 10, Duration.ofSeconds(30));
 * }</pre>
 *
 * <p>Or by hand: {@code try (KafkaFixture kafka = KafkaFixture.start()) {...}}. Set the system
 * property or environment variable {@code SIGLIP_KAFKA_FIXTURE} to {@code in-process} or {@code
 * testcontainers} to force one.
 */
public final class KafkaFixture implements BeforeAllCallback, AfterAllCallback, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaFixture.class);
    /** The image matching the {@code kafka_2.13} / {@code kafka-clients} version in the pom. */
    public static final String KAFKA_IMAGE = "apache/kafka:4.2.0";

    private EmbeddedKafkaBroker embedded;
    private KafkaContainer container;
    private Admin admin;
    private String bootstrapServers;

    /** Creates the fixture without starting it; JUnit starts it in {@code beforeAll}. */
    public KafkaFixture() {}

    /** Creates and starts a broker now. */
    public static KafkaFixture start() {
        KafkaFixture fixture = new KafkaFixture();
        fixture.startBroker();
        return fixture;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        startBroker();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    private synchronized void startBroker() {
        if (bootstrapServers != null) {
            return;
        }
        long t0 = System.nanoTime();
        String forced = System.getProperty("SIGLIP_KAFKA_FIXTURE", System.getenv("SIGLIP_KAFKA_FIXTURE"));
        String choice;
        String why;
        if (forced != null && !forced.isBlank()) {
            choice = forced.trim().toLowerCase(Locale.ROOT);
            why = "SIGLIP_KAFKA_FIXTURE=" + forced;
            if (!choice.equals("in-process") && !choice.equals("testcontainers")) {
                throw new IllegalArgumentException("SIGLIP_KAFKA_FIXTURE must be in-process or testcontainers, got " + forced);
            }
        } else if (dockerAvailable()) {
            choice = "testcontainers";
            why = "a Docker engine is available";
        } else {
            choice = "in-process";
            why = "no Docker engine is available";
        }
        if (choice.equals("testcontainers")) {
            container = new KafkaContainer(KAFKA_IMAGE)
                    // Match the in-process broker: Flink's exactly-once sink needs long transactions.
                    .withEnv("KAFKA_TRANSACTION_MAX_TIMEOUT_MS", "3600000")
                    .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
            container.start();
            bootstrapServers = container.getBootstrapServers();
        } else {
            embedded = EmbeddedKafkaBroker.start(null, 0);
            bootstrapServers = embedded.bootstrapServers();
        }
        LOG.warn("Kafka fixture: {} broker at {} ({}), started in {} ms", choice, bootstrapServers, why,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("Docker check failed", e);
            return false;
        }
    }

    /** {@code true} when the broker runs in this JVM, {@code false} when it is a container. */
    public boolean inProcess() {
        requireStarted();
        return embedded != null;
    }

    /** The {@code bootstrap.servers} value for clients. */
    public String bootstrapServers() {
        requireStarted();
        return bootstrapServers;
    }

    /** Creates a topic with replication factor 1; an existing one is left as it is. */
    public void createTopic(String name, int partitions) {
        createTopic(name, partitions, Map.of());
    }

    /** Creates a topic with replication factor 1 and topic configs (e.g. {@code cleanup.policy=compact}). */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        requireStarted();
        if (embedded != null) {
            embedded.createTopic(name, partitions, configs);
            return;
        }
        try {
            admin().createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs)))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic " + name, e.getCause());
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topic " + name, e);
        }
    }

    /** An admin client on this broker, owned by the fixture (closed with it). */
    public synchronized Admin admin() {
        requireStarted();
        if (admin == null) {
            admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
        }
        return admin;
    }

    /** Producer settings: byte-array serializers, acks=all, idempotent. */
    public Properties producerProperties() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return p;
    }

    /** Consumer settings: byte-array deserializers, read_committed, earliest, no auto commit. */
    public Properties consumerProperties() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // Reading must not create the topic the code under test is supposed to create.
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        return p;
    }

    /**
     * Sends the records and waits until all are acknowledged; with {@code transactional} they are
     * sent in one committed transaction (so read_committed consumers see them).
     */
    public void produce(List<ProducerRecord<byte[], byte[]>> records, boolean transactional) {
        Properties p = producerProperties();
        if (transactional) {
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "kafka-fixture-" + UUID.randomUUID());
        }
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            if (transactional) {
                producer.initTransactions();
                producer.beginTransaction();
            }
            List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
            for (ProducerRecord<byte[], byte[]> record : records) {
                acks.add(producer.send(record));
            }
            if (transactional) {
                producer.commitTransaction();
            } else {
                producer.flush();
            }
            for (java.util.concurrent.Future<?> ack : acks) {
                ack.get(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while producing", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot produce " + records.size() + " records to " + bootstrapServers, e);
        }
    }

    /** Sends one non-transactional record and waits for its acknowledgement. */
    public void produce(String topic, byte[] key, byte[] value) {
        produce(List.of(new ProducerRecord<>(topic, key, value)), false);
    }

    /**
     * Reads a topic from the beginning with {@code isolation.level=read_committed} (all partitions,
     * no consumer group) until {@code count} records arrived or {@code timeout} passed; returns what
     * it got, which the caller asserts on (fewer than {@code count} after a timeout).
     */
    public List<ConsumerRecord<byte[], byte[]>> consume(String topic, int count, Duration timeout) {
        Objects.requireNonNull(topic, "topic");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProperties())) {
            List<TopicPartition> partitions = new ArrayList<>();
            while (partitions.isEmpty() && System.nanoTime() < deadline) {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
                if (infos != null && !infos.isEmpty()) {
                    infos.forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
                } else {
                    sleep(100);
                }
            }
            if (partitions.isEmpty()) {
                return out;
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (out.size() < count && System.nanoTime() < deadline) {
                long leftMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                consumer.poll(Duration.ofMillis(Math.min(200, leftMs))).forEach(out::add);
            }
        }
        return out;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private void requireStarted() {
        if (bootstrapServers == null) {
            throw new IllegalStateException("the Kafka fixture is not started (register it as a static @RegisterExtension or call start())");
        }
    }

    /** Stops the broker (or container). Idempotent. */
    @Override
    public synchronized void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
            admin = null;
        }
        if (embedded != null) {
            embedded.close();
            embedded = null;
        }
        if (container != null) {
            container.stop();
            container = null;
        }
        bootstrapServers = null;
    }
}
