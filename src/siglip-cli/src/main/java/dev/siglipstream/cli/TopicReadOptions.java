package dev.siglipstream.cli;

import dev.siglipstream.stream.serde.WireFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Option;

/**
 * The flags and the read loop of a command that reads a topic's committed records once, from the
 * start, without joining a consumer group ({@code consume}, {@code report}).
 */
class TopicReadOptions {
    @Option(names = "--bootstrap", required = true, paramLabel = "SERVERS",
            description = "Kafka bootstrap servers, e.g. 127.0.0.1:9092.")
    String bootstrap;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "Topic to read.")
    String topic;

    @Option(names = "--max", defaultValue = "2147483647", paramLabel = "N",
            description = "Stop after N records (default: no limit).")
    int max;

    @Option(names = "--timeout", defaultValue = "10s", paramLabel = "DURATION",
            converter = CliConverters.DurationConverter.class,
            description = "Stop when no record arrived for this long, e.g. 500ms, 10s, 2m (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--from-beginning", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Read from the start of each partition (default); --no-from-beginning reads only new records.")
    boolean fromBeginning;

    @Option(names = "--wire-format", defaultValue = "plain", paramLabel = "FORMAT",
            converter = CliConverters.WireFormatConverter.class,
            description = "Value framing: plain (Avro binary) or confluent (magic byte + schema id) (default: ${DEFAULT-VALUE}).")
    WireFormat wireFormat;

    @Option(names = "--schema-id", defaultValue = "" + WireFormat.DEFAULT_SCHEMA_ID, paramLabel = "ID",
            description = "Schema id expected in the Confluent header (default: ${DEFAULT-VALUE}); ignored for plain.")
    int schemaId;

    @Option(names = "--property", paramLabel = "KEY=VALUE",
            description = "Extra Kafka consumer setting, repeatable (e.g. --property fetch.max.bytes=1048576).")
    Map<String, String> properties = new LinkedHashMap<>();

    /** Reads {@code topic} until {@code max} records or {@code timeout} without a record; returns the count. */
    int read(Consumer<ConsumerRecord<byte[], byte[]>> sink) {
        return read(topic, max, sink);
    }

    /** The same loop on another topic of the same cluster (read_committed, no consumer group). */
    int read(String topicName, int limit, Consumer<ConsumerRecord<byte[], byte[]>> sink) {
        if (limit < 1) {
            throw new IllegalArgumentException("--max must be >= 1, got " + limit);
        }
        int seen = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProperties())) {
            List<TopicPartition> partitions = partitions(consumer, topicName);
            consumer.assign(partitions);
            if (fromBeginning) {
                consumer.seekToBeginning(partitions);
            } else {
                consumer.seekToEnd(partitions);
            }
            long idleSince = System.nanoTime();
            while (seen < limit && System.nanoTime() - idleSince < timeout.toNanos()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(Math.min(200, Math.max(1, timeout.toMillis()))))) {
                    sink.accept(r);
                    idleSince = System.nanoTime();
                    if (++seen >= limit) {
                        break;
                    }
                }
            }
        }
        return seen;
    }

    private List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> consumer, String topicName) {
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            List<PartitionInfo> infos = consumer.partitionsFor(topicName, timeout);
            if (infos != null && !infos.isEmpty()) {
                List<TopicPartition> out = new ArrayList<>();
                infos.forEach(i -> out.add(new TopicPartition(i.topic(), i.partition())));
                return out;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while looking up topic " + topicName, e);
            }
        } while (System.nanoTime() < deadline);
        throw new IllegalStateException("topic " + topicName + " not found on " + bootstrap + " within " + timeout.toMillis() + " ms");
    }

    private Properties consumerProperties() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // Looking at a topic must not create it (with one partition, before the job creates it properly).
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromBeginning ? "earliest" : "latest");
        p.putAll(properties);
        return p;
    }
}
