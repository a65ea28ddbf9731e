package dev.siglipstream.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;

import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.events.LabelSetUpdate;
import dev.siglipstream.stream.serde.AvroCodec;
import dev.siglipstream.stream.serde.AvroDecodeException;
import dev.siglipstream.stream.serde.EventJson;
import dev.siglipstream.stream.serde.WireFormat;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code siglip consume}: prints the LabelScoreEvents and dead letters on a topic as JSON lines,
 * reading only committed records.
 *
 * <pre>{@code
 * ./siglip consume --bootstrap 127.0.0.1:9092 --topic scores --max 10
 * }</pre>
 */
@Command(
        name = "consume",
        mixinStandardHelpOptions = true,
        description = {
            "Prints the records of a topic as JSON lines (isolation.level=read_committed): LabelScoreEvents and dead letters, "
                    + "and with --type also ImageEvents or label-set updates. A record that cannot be decoded prints an {\"error\": ...} line.",
            "Stops after --max records, or when no record arrived for --timeout."
        })
final class ConsumeCommand implements Callable<Integer> {
    /** What the values on the topic are. */
    enum Type {
        AUTO, SCORE, DEAD_LETTER, IMAGE, LABEL_SET
    }

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

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

    @Option(names = "--type", defaultValue = "auto", paramLabel = "TYPE", converter = TypeConverter.class,
            description = "Value type: auto (LabelScoreEvent, else DeadLetter, else ImageEvent), score, dead-letter, "
                    + "image or label-set (default: ${DEFAULT-VALUE}).")
    Type type;

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

    @Override
    public Integer call() {
        if (max < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max must be >= 1, got " + max);
        }
        List<AvroCodec<? extends SpecificRecord>> codecs = codecs();
        PrintWriter out = spec.commandLine().getOut();
        int printed = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProperties())) {
            List<TopicPartition> partitions = partitions(consumer);
            consumer.assign(partitions);
            if (fromBeginning) {
                consumer.seekToBeginning(partitions);
            } else {
                consumer.seekToEnd(partitions);
            }
            long idleSince = System.nanoTime();
            while (printed < max && System.nanoTime() - idleSince < timeout.toNanos()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(Math.min(200, Math.max(1, timeout.toMillis()))))) {
                    out.println(render(codecs, r));
                    out.flush();
                    idleSince = System.nanoTime();
                    if (++printed >= max) {
                        break;
                    }
                }
            }
        }
        return 0;
    }

    private List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> consumer) {
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos != null && !infos.isEmpty()) {
                List<TopicPartition> out = new ArrayList<>();
                infos.forEach(i -> out.add(new TopicPartition(i.topic(), i.partition())));
                return out;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while looking up topic " + topic, e);
            }
        } while (System.nanoTime() < deadline);
        throw new IllegalStateException("topic " + topic + " not found on " + bootstrap + " within " + timeout.toMillis() + " ms");
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

    private List<AvroCodec<? extends SpecificRecord>> codecs() {
        return switch (type) {
            case AUTO -> List.of(codec(LabelScoreEvent.class), codec(DeadLetter.class), codec(ImageEvent.class));
            case SCORE -> List.of(codec(LabelScoreEvent.class));
            case DEAD_LETTER -> List.of(codec(DeadLetter.class));
            case IMAGE -> List.of(codec(ImageEvent.class));
            case LABEL_SET -> List.of(codec(LabelSetUpdate.class));
        };
    }

    private <T extends SpecificRecord> AvroCodec<T> codec(Class<T> recordType) {
        return AvroCodec.create(recordType, wireFormat, schemaId);
    }

    /** The first codec that consumes the whole value wins; decoding is strict, so a wrong type rarely fits exactly. */
    static String render(List<AvroCodec<? extends SpecificRecord>> codecs, ConsumerRecord<byte[], byte[]> r) {
        List<String> errors = new ArrayList<>();
        for (AvroCodec<? extends SpecificRecord> codec : codecs) {
            try {
                return EventJson.toJson(codec.decode(r.value()));
            } catch (AvroDecodeException e) {
                errors.add(e.getMessage());
            } catch (RuntimeException e) {
                errors.add(codec.type().getSimpleName() + ": " + e);
            }
        }
        return EventJson.error(String.join("; ", errors), r.topic(), r.partition(), r.offset());
    }

    /** Lower-case type names with dashes, as in the help. */
    static final class TypeConverter implements CommandLine.ITypeConverter<Type> {
        @Override
        public Type convert(String value) {
            try {
                return Type.valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("expected auto, score, dead-letter, image or label-set, got '" + value + "'");
            }
        }
    }
}
