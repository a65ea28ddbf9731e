package dev.siglipstream.stream.options;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import picocli.CommandLine.Option;

/**
 * The job's command-line flags, shared by {@code ./siglip run} and
 * {@code flink run ... SiglipStreamJob}: a YAML job file ({@code --config}) with each flag overriding
 * the matching {@link JobOptions} key, and {@code -D key=value} for any other key.
 *
 * <pre>{@code
 * ./siglip run --bootstrap localhost:9092 --input-topic images --output-topic image-labels \
 *     --label-sets label-sets.yaml --model Xenova/siglip-base-patch16-224 --parallelism 2
 * }</pre>
 */
public final class JobArguments {

    @Option(names = "--config", paramLabel = "FILE", description = "YAML job file (JobOptions keys, nested or dotted).")
    Path config;

    @Option(names = "--bootstrap", paramLabel = "HOSTS", description = "Kafka bootstrap servers.")
    String bootstrap;

    @Option(names = "--input-topic", paramLabel = "TOPIC", split = ",", description = "Input topic(s); repeat or comma-separate.")
    List<String> inputTopics;

    @Option(names = "--input-pattern", paramLabel = "REGEX", description = "Input topics by regex, instead of --input-topic.")
    String inputPattern;

    @Option(names = "--output-topic", paramLabel = "TOPIC", description = "Default topic of scored events.")
    String outputTopic;

    @Option(names = "--dead-letter-topic", paramLabel = "TOPIC", description = "Topic of dead letters.")
    String deadLetterTopic;

    @Option(names = "--label-set-topic", paramLabel = "TOPIC", description = "Compacted control topic of LabelSetUpdates.")
    String labelSetTopic;

    @Option(names = "--label-sets", paramLabel = "FILE", description = "YAML file of the initial label sets.")
    String labelSets;

    @Option(names = "--default-label-set", paramLabel = "ID", description = "Label set for events that name none.")
    String defaultLabelSet;

    @Option(names = "--model", paramLabel = "M", description = "Model folder or Hugging Face repo id.")
    String model;

    @Option(names = "--parallelism", paramLabel = "N", description = "Job parallelism.")
    Integer parallelism;

    @Option(names = "--checkpoint-interval", paramLabel = "DURATION", description = "Checkpoint interval, e.g. 10s, 500ms.")
    String checkpointInterval;

    @Option(names = "--max-batch-size", paramLabel = "N", description = "Batch flush size.")
    Integer maxBatchSize;

    @Option(names = "--max-batch-delay", paramLabel = "DURATION", description = "Batch flush delay, e.g. 10ms.")
    String maxBatchDelay;

    @Option(names = "--dispatch-when-idle", paramLabel = "BOOL", arity = "0..1", fallbackValue = "true",
            description = "Start a batch as soon as the model is idle instead of waiting for the batch delay.")
    Boolean dispatchWhenIdle;

    @Option(names = "--batch-bucketing", paramLabel = "BOOL", arity = "0..1", fallbackValue = "true",
            description = "Pad batches to powers of two.")
    Boolean bucketing;

    @Option(names = "--group-id", paramLabel = "ID", description = "Consumer group id.")
    String groupId;

    @Option(names = "--starting-offsets", paramLabel = "WHERE", description = "earliest, latest or committed.")
    String startingOffsets;

    @Option(names = "--stopping-offsets", paramLabel = "WHERE",
            description = "Read a bounded range and end: latest, timestamp:T (epoch ms or ISO-8601) or topic:partition:offset,...")
    String stoppingOffsets;

    @Option(names = "--property", paramLabel = "K=V", description = "Kafka client property (TLS, SASL, ...); repeatable.")
    Map<String, String> properties;

    @Option(names = "--delivery-guarantee", paramLabel = "G", description = "exactly-once (default) or at-least-once.")
    String deliveryGuarantee;

    @Option(names = "--transactional-id-prefix", paramLabel = "PREFIX", description = "Sink transactional id prefix.")
    String transactionalIdPrefix;

    @Option(names = "--async-mode", paramLabel = "MODE", description = "ordered or unordered.")
    String asyncMode;

    @Option(names = "--capacity", paramLabel = "N", description = "In-flight images per subtask.")
    Integer capacity;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "Per-image timeout, retries included.")
    String timeout;

    @Option(names = "--retries", paramLabel = "N", description = "Inference retries before INFERENCE_FAILED.")
    Integer retries;

    @Option(names = "--preprocess-threads", paramLabel = "N", description = "Per-JVM preprocessing pool size.")
    Integer preprocessThreads;

    @Option(names = "--max-image-pixels", paramLabel = "N", description = "Largest accepted width x height.")
    Long maxImagePixels;

    @Option(names = "--image-decode", paramLabel = "exact|fast", description = "siglip.image.decode: exact, or fast (large JPEGs decoded at reduced scale).")
    String imageDecode;

    @Option(names = "--max-image-bytes", paramLabel = "N", description = "Largest accepted encoded image.")
    Integer maxImageBytes;

    @Option(names = "--uri-allowlist", paramLabel = "PREFIX", split = ",", description = "URI prefixes images may be fetched from.")
    List<String> uriAllowlist;

    @Option(names = "--uri-allow-private-addresses", paramLabel = "BOOL", arity = "0..1", fallbackValue = "true",
            description = "UNSAFE outside tests: also fetch from loopback/private/metadata addresses.")
    Boolean uriAllowPrivateAddresses;

    @Option(names = "--pixel-budget", paramLabel = "MP", description = "Real-time budget per image in decoded megapixels.")
    Double pixelBudget;

    @Option(names = "--wait-for-topics", paramLabel = "DURATION", description = "Wait this long at start for missing input topics (0: fail at once).")
    String waitForTopics;

    @Option(names = "--provider", paramLabel = "P", description = "cpu, cuda or tensorrt.")
    String provider;

    @Option(names = "--device", paramLabel = "N", description = "GPU index when Flink has no 'gpu' resource.")
    Integer device;

    @Option(names = "--variant", paramLabel = "V", description = "fp32, fp16 or quantized.")
    String variant;

    @Option(names = "--emit-embedding", paramLabel = "BOOL", arity = "0..1", fallbackValue = "true",
            description = "Copy the image embedding onto scored events.")
    Boolean emitEmbedding;

    @Option(names = "--default-threshold", paramLabel = "P", description = "Default 'matched' threshold.")
    Float defaultThreshold;

    @Option(names = "--wire-format", paramLabel = "F", description = "plain or confluent.")
    String wireFormat;

    @picocli.CommandLine.Mixin
    RegistryArguments registry = new RegistryArguments();

    @Option(names = "-D", paramLabel = "KEY=VALUE", description = "Any JobOptions or Flink setting.")
    Map<String, String> dynamic;

    /** The YAML file (if any) with every given flag on top. */
    public Configuration toConfiguration() {
        Configuration conf = config == null ? new Configuration() : JobConfigFile.read(config);
        if (dynamic != null) {
            dynamic.forEach((k, v) -> JobConfigFile.set(conf, k, v, "-D"));
        }
        put(conf, JobOptions.BOOTSTRAP_SERVERS, bootstrap);
        if (inputTopics != null) {
            List<String> topics = new ArrayList<>();
            for (String t : inputTopics) {
                if (!t.isBlank()) topics.add(t.trim());
            }
            conf.set(JobOptions.INPUT_TOPICS, topics);
        }
        put(conf, JobOptions.INPUT_PATTERN, inputPattern);
        put(conf, JobOptions.OUTPUT_TOPIC, outputTopic);
        put(conf, JobOptions.DEAD_LETTER_TOPIC, deadLetterTopic);
        put(conf, JobOptions.LABEL_SET_TOPIC, labelSetTopic);
        put(conf, JobOptions.LABEL_SETS_FILE, labelSets);
        put(conf, JobOptions.DEFAULT_LABEL_SET, defaultLabelSet);
        put(conf, JobOptions.MODEL, model);
        put(conf, JobOptions.PARALLELISM, parallelism);
        putDuration(conf, JobOptions.CHECKPOINT_INTERVAL, checkpointInterval, "--checkpoint-interval");
        put(conf, JobOptions.MAX_BATCH_SIZE, maxBatchSize);
        putDuration(conf, JobOptions.MAX_BATCH_DELAY, maxBatchDelay, "--max-batch-delay");
        put(conf, JobOptions.BATCH_DISPATCH_WHEN_IDLE, dispatchWhenIdle);
        put(conf, JobOptions.BATCH_BUCKETING, bucketing);
        put(conf, JobOptions.GROUP_ID, groupId);
        putEnum(conf, JobOptions.STARTING_OFFSETS, JobOptions.StartingOffsets.class, startingOffsets, "--starting-offsets");
        put(conf, JobOptions.STOPPING_OFFSETS, stoppingOffsets);
        if (properties != null) {
            properties.forEach((k, v) -> conf.setString(JobOptions.KAFKA_PROPERTIES.key() + "." + k, v));
        }
        putEnum(conf, JobOptions.DELIVERY_GUARANTEE, JobOptions.Guarantee.class, deliveryGuarantee, "--delivery-guarantee");
        put(conf, JobOptions.TRANSACTIONAL_ID_PREFIX, transactionalIdPrefix);
        putEnum(conf, JobOptions.ASYNC_MODE, JobOptions.AsyncMode.class, asyncMode, "--async-mode");
        put(conf, JobOptions.ASYNC_CAPACITY, capacity);
        putDuration(conf, JobOptions.ASYNC_TIMEOUT, timeout, "--timeout");
        put(conf, JobOptions.ASYNC_RETRIES, retries);
        put(conf, JobOptions.PREPROCESS_THREADS, preprocessThreads);
        put(conf, JobOptions.MAX_IMAGE_PIXELS, maxImagePixels);
        put(conf, JobOptions.MAX_IMAGE_BYTES, maxImageBytes);
        putEnum(conf, JobOptions.IMAGE_DECODE, dev.siglipstream.siglip.image.DecodeMode.class, imageDecode, "--image-decode");
        if (uriAllowlist != null) {
            conf.set(JobOptions.URI_ALLOWLIST, uriAllowlist);
        }
        put(conf, JobOptions.FETCH_ALLOW_PRIVATE_ADDRESSES, uriAllowPrivateAddresses);
        put(conf, JobOptions.PIXEL_BUDGET, pixelBudget);
        putDuration(conf, JobOptions.WAIT_FOR_TOPICS, waitForTopics, "--wait-for-topics");
        put(conf, JobOptions.PROVIDER, provider);
        put(conf, JobOptions.DEVICE_ID, device);
        put(conf, JobOptions.VARIANT, variant);
        put(conf, JobOptions.EMIT_EMBEDDING, emitEmbedding);
        put(conf, JobOptions.DEFAULT_THRESHOLD, defaultThreshold);
        putEnum(conf, JobOptions.WIRE_FORMAT, dev.siglipstream.stream.serde.WireFormat.class, wireFormat, "--wire-format");
        registry.applyTo(conf);
        return conf;
    }

    private static <T> void put(Configuration conf, ConfigOption<T> option, T value) {
        if (value != null) {
            conf.set(option, value);
        }
    }

    private static void putDuration(Configuration conf, ConfigOption<Duration> option, String value, String flag) {
        if (value != null) {
            conf.set(option, duration(flag, value));
        }
    }

    /**
     * {@code value} in Flink's duration syntax ({@code 500ms}, {@code 10s}, {@code 1min}; never
     * negative), or an {@link IllegalArgumentException} that names {@code flag}.
     */
    public static Duration duration(String flag, String value) {
        try {
            return org.apache.flink.util.TimeUtils.parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + ": expected a duration like 500ms, 10s or 1min, got '" + value + "'", e);
        }
    }

    private static <E extends Enum<E>> void putEnum(
            Configuration conf, ConfigOption<E> option, Class<E> type, String value, String flag) {
        if (value == null) {
            return;
        }
        try {
            conf.set(option, Enum.valueOf(type, EnumSpelling.constantName(value)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    flag + ": expected one of " + EnumSpelling.spellings(type) + ", got '" + value + "'", e);
        }
    }
}
