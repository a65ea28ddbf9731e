package dev.siglipstream.cli;

import dev.siglipstream.events.LabelSetUpdate;
import dev.siglipstream.stream.labels.LabelSet;
import dev.siglipstream.stream.labels.LabelSetFile;
import dev.siglipstream.stream.options.RegistryArguments;
import dev.siglipstream.stream.serde.AvroCodec;
import dev.siglipstream.stream.serde.WireFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code siglip label-set}: publishes label-set changes to the job's compacted control topic, so a
 * running job picks them up without a restart.
 *
 * <pre>{@code
 * ./siglip label-set --bootstrap 127.0.0.1:9092 --topic label-sets --id animals --version 2 --labels cat,dog,fox
 * ./siglip label-set --bootstrap 127.0.0.1:9092 --topic label-sets --id animals --version 3 --delete
 * ./siglip label-set --bootstrap 127.0.0.1:9092 --topic label-sets --file examples/label-sets.yaml
 * }</pre>
 */
@Command(name = "label-set", sortOptions = false,
        description = {"Publishes LabelSetUpdates (key = label-set id) to the job's control topic and prints each as "
                + "`id version` (or `id version deleted`).",
                "A running job applies an update to events after it when its version is above the set's current one."})
final class LabelSetCommand implements Callable<Integer> {
    // Not mixinStandardHelpOptions: its -V/--version would clash with the label-set's own --version and,
    // with the required group, made picocli reject --help as missing options.
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--bootstrap", required = true, paramLabel = "SERVERS", description = "Kafka bootstrap servers.")
    String bootstrap;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "The job's label-set control topic.")
    String topic;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @ArgGroup(exclusive = false)
        One one;

        @Option(names = "--file", paramLabel = "FILE", description = "Publish every set of a label-set YAML file.")
        Path file;
    }

    static final class One {
        @Option(names = "--id", required = true, paramLabel = "ID", description = "Label-set id.")
        String id;

        @Option(names = "--version", required = true, paramLabel = "N", description = "New version; must exceed the current one.")
        long version;

        @Option(names = "--labels", split = ",", paramLabel = "a,b,c", description = "Candidate labels.")
        List<String> labels;

        @Option(names = "--template", paramLabel = "T", description = "Hypothesis template with one {}.")
        String template;

        @Option(names = "--threshold", paramLabel = "X", description = "Score at or above which a label is 'matched'.")
        Float threshold;

        @Option(names = "--top-k", paramLabel = "K", description = "Keep the K best scores.")
        Integer topK;

        @Option(names = "--output-topic", paramLabel = "TOPIC", description = "Topic for this set's scored events.")
        String outputTopic;

        @Option(names = "--delete", description = "Delete the set: later events naming it become UNKNOWN_LABEL_SET dead letters.")
        boolean delete;
    }

    @CommandLine.Mixin
    RegistryArguments registry = new RegistryArguments();

    @Option(names = "--wire-format", defaultValue = "plain", paramLabel = "FORMAT",
            converter = CliConverters.WireFormatConverter.class,
            description = "plain (Avro binary) or confluent (default: ${DEFAULT-VALUE}).")
    WireFormat wireFormat;

    @Option(names = "--schema-id", defaultValue = "" + WireFormat.DEFAULT_SCHEMA_ID, paramLabel = "ID", description = "Schema id for the confluent format.")
    int schemaId;

    @Option(names = "--property", paramLabel = "KEY=VALUE", description = "Extra Kafka producer setting, repeatable.")
    Map<String, String> properties = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        List<LabelSetUpdate> updates = updates();
        AvroCodec<LabelSetUpdate> codec = AvroCodec.create(LabelSetUpdate.class, wireFormat, schemaId, registry.settings(wireFormat));
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.putAll(properties);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            for (LabelSetUpdate u : updates) {
                producer.send(new ProducerRecord<>(topic, u.getId().getBytes(StandardCharsets.UTF_8), codec.encode(u, topic)))
                        .get(2, TimeUnit.MINUTES);
                System.out.println(u.getId() + " " + u.getVersion() + (u.getDeleted() ? " deleted" : ""));
            }
        }
        return 0;
    }

    List<LabelSetUpdate> updates() {
        if (source.file != null) {
            List<LabelSetUpdate> out = new ArrayList<>();
            for (LabelSet set : LabelSetFile.read(source.file)) out.add(set.toUpdate());
            return out;
        }
        One o = source.one;
        if (!o.delete && (o.labels == null || o.labels.isEmpty())) {
            throw new IllegalArgumentException("give --labels for label set '" + o.id + "' (or --delete to remove it)");
        }
        return List.of(LabelSetUpdate.newBuilder()
                .setId(o.id)
                .setVersion(o.version)
                .setLabels(o.labels == null ? List.of() : List.copyOf(o.labels))
                .setTemplate(o.template)
                .setThreshold(o.threshold)
                .setTopK(o.topK)
                .setOutputTopic(o.outputTopic)
                .setDeleted(o.delete)
                .build());
    }
}
