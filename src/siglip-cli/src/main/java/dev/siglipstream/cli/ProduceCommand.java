package dev.siglipstream.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.stream.options.RegistryArguments;
import dev.siglipstream.stream.serde.AvroCodec;
import dev.siglipstream.stream.serde.WireFormat;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code siglip produce}: sends one ImageEvent per image file (or URI) to a Kafka topic and prints
 * each event id.
 *
 * <pre>{@code
 * ./siglip produce --bootstrap 127.0.0.1:9092 --topic images --label-set animals photos/
 * }</pre>
 */
@Command(
        name = "produce",
        mixinStandardHelpOptions = true,
        description = {
            "Sends one ImageEvent per image to a Kafka topic (record key = event id) and prints each event id, one per line.",
            "Directories are expanded to their image files (jpg, jpeg, png, gif, bmp, webp) sorted by name; "
                    + "files named explicitly are sent whatever their extension; http://, https:// and file:// "
                    + "arguments are sent by reference (imageUri) instead of inline bytes."
        })
final class ProduceCommand implements Callable<Integer> {
    static final List<String> IMAGE_EXTENSIONS = List.of("jpg", "jpeg", "png", "gif", "bmp", "webp");
    private static final Pattern URI_ARGUMENT = Pattern.compile("(?i)(https?|file)://.*");

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--bootstrap", required = true, paramLabel = "SERVERS",
            description = "Kafka bootstrap servers, e.g. 127.0.0.1:9092.")
    String bootstrap;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "Topic to send the ImageEvents to.")
    String topic;

    @Option(names = "--label-set", paramLabel = "ID",
            description = "Label set to score against (labelSetId); default: the job's default label set.")
    String labelSet;

    @Option(names = "--labels", split = ",", paramLabel = "LABEL",
            description = "Inline candidate labels for these events (comma-separated); used instead of a label set.")
    List<String> labels;

    @Option(names = "--id-prefix", paramLabel = "PREFIX",
            description = "Event ids are PREFIX0, PREFIX1, ... in argument order instead of random UUIDs.")
    String idPrefix;

    @CommandLine.Mixin
    RegistryArguments registry = new RegistryArguments();

    @Option(names = "--wire-format", defaultValue = "plain", paramLabel = "FORMAT",
            converter = CliConverters.WireFormatConverter.class,
            description = "Value framing: plain (Avro binary) or confluent (magic byte + schema id) (default: ${DEFAULT-VALUE}).")
    WireFormat wireFormat;

    @Option(names = "--schema-id", defaultValue = "" + WireFormat.DEFAULT_SCHEMA_ID, paramLabel = "ID",
            description = "Schema id written in the Confluent header (default: ${DEFAULT-VALUE}); ignored for plain.")
    int schemaId;

    @Option(names = "--property", paramLabel = "KEY=VALUE",
            description = "Extra Kafka producer setting, repeatable (e.g. --property compression.type=zstd).")
    Map<String, String> properties = new LinkedHashMap<>();

    @Parameters(arity = "1..*", paramLabel = "IMAGE|DIR|URI", description = "Image files, directories of images, or image URIs.")
    List<String> inputs;

    @Override
    public Integer call() throws Exception {
        List<Input> items = expand();
        if (items.isEmpty()) {
            throw new IllegalArgumentException("no image files found in " + inputs
                    + " (extensions " + String.join(", ", IMAGE_EXTENSIONS) + ")");
        }
        AvroCodec<ImageEvent> codec = AvroCodec.create(ImageEvent.class, wireFormat, schemaId, registry.settings(wireFormat));
        PrintWriter out = spec.commandLine().getOut();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties())) {
            List<String> ids = new ArrayList<>();
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                String id = idPrefix != null ? idPrefix + i : UUID.randomUUID().toString();
                ImageEvent event = event(id, items.get(i));
                acks.add(producer.send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8), codec.encode(event, topic))));
                ids.add(id);
            }
            producer.flush();
            for (int i = 0; i < acks.size(); i++) {
                try {
                    acks.get(i).get(2, TimeUnit.MINUTES);
                } catch (ExecutionException e) {
                    throw new IllegalStateException("cannot send " + items.get(i).name() + " to " + topic + " on " + bootstrap
                            + ": " + e.getCause().getMessage(), e.getCause());
                }
                out.println(ids.get(i));
            }
            out.flush();
        }
        return 0;
    }

    private Properties producerProperties() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(16 * 1024 * 1024));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
        p.putAll(properties);
        return p;
    }

    private ImageEvent event(String id, Input input) throws IOException {
        ImageEvent.Builder b = ImageEvent.newBuilder()
                .setId(id)
                .setLabelSetId(labelSet)
                .setLabels(labels == null ? null : List.copyOf(labels))
                .setContentType(contentType(input.name()))
                .setMetadata(Map.of("file", input.name()))
                .setEventTime(Instant.now());
        if (input.uri() != null) {
            b.setImageUri(input.uri());
        } else {
            b.setImage(ByteBuffer.wrap(Files.readAllBytes(input.path())));
        }
        return b.build();
    }

    private List<Input> expand() throws IOException {
        List<Input> items = new ArrayList<>();
        for (String arg : inputs) {
            if (URI_ARGUMENT.matcher(arg).matches()) {
                String path = arg.replaceFirst("[?#].*$", "");
                items.add(new Input(path.substring(path.lastIndexOf('/') + 1), null, arg));
                continue;
            }
            Path path = Path.of(arg);
            if (Files.isDirectory(path)) {
                try (Stream<Path> files = Files.list(path)) {
                    files.filter(f -> Files.isRegularFile(f) && isImageName(f.getFileName().toString()))
                            .sorted((a, c) -> a.getFileName().toString().compareTo(c.getFileName().toString()))
                            .forEach(f -> items.add(new Input(f.getFileName().toString(), f, null)));
                }
            } else if (Files.isRegularFile(path)) {
                items.add(new Input(path.getFileName().toString(), path, null));
            } else {
                throw new IllegalArgumentException("no such file or directory: " + arg);
            }
        }
        return items;
    }

    static boolean isImageName(String name) {
        return IMAGE_EXTENSIONS.contains(extension(name));
    }

    private static String extension(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    static String contentType(String name) {
        return switch (extension(name)) {
            case "jpg", "jpeg" -> "image/jpeg";
            case "png" -> "image/png";
            case "gif" -> "image/gif";
            case "bmp" -> "image/bmp";
            case "webp" -> "image/webp";
            default -> null;
        };
    }

    /** One thing to send: a file (path) or a reference (uri). */
    private record Input(String name, Path path, String uri) {}
}
