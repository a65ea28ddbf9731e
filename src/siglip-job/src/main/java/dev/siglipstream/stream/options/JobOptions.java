package dev.siglipstream.stream.options;

import static org.apache.flink.configuration.ConfigOptions.key;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import dev.siglipstream.stream.registry.SubjectNameStrategy;
import dev.siglipstream.stream.serde.WireFormat;
import org.apache.flink.configuration.ConfigOption;

/**
 * Every setting of the streaming job, as typed Flink options with dotted keys. They come from a
 * YAML job file ({@code --config job.yaml}, nested or dotted keys) with command-line overrides on
 * top; see {@link JobArguments}.
 *
 * <pre>{@code
 * siglip:
 *   kafka:
 *     bootstrap-servers: broker:9092
 *     input-topics: [images]
 *     output-topic: image-labels
 *   model:
 *     name: Xenova/siglip-base-patch16-224
 *     provider: cuda
 * }</pre>
 */
public final class JobOptions {
    /** Every key of the job starts with it. */
    public static final String PREFIX = "siglip.";

    private JobOptions() {}

    /** Where records start when the group has no committed offset (or always, for EARLIEST/LATEST). */
    public enum StartingOffsets { EARLIEST, LATEST, COMMITTED }

    /** Kafka sink delivery guarantee. */
    public enum Guarantee { EXACTLY_ONCE, AT_LEAST_ONCE }

    /** Whether scored events keep input order. */
    public enum AsyncMode { ORDERED, UNORDERED }


    // ---- Kafka ----
    public static final ConfigOption<String> BOOTSTRAP_SERVERS = key("siglip.kafka.bootstrap-servers")
            .stringType().noDefaultValue()
            .withDescription("Kafka bootstrap servers, host:port[,host:port].");
    public static final ConfigOption<List<String>> INPUT_TOPICS = key("siglip.kafka.input-topics")
            .stringType().asList().noDefaultValue()
            .withDescription("Topics of Avro ImageEvents to score (record key = event id). Exclusive with input-pattern.");
    public static final ConfigOption<String> INPUT_PATTERN = key("siglip.kafka.input-pattern")
            .stringType().noDefaultValue()
            .withDescription("Java regex of input topics, instead of input-topics.");
    public static final ConfigOption<String> OUTPUT_TOPIC = key("siglip.kafka.output-topic")
            .stringType().defaultValue("image-labels")
            .withDescription("Topic of LabelScoreEvents for label sets without their own output topic.");
    public static final ConfigOption<String> DEAD_LETTER_TOPIC = key("siglip.kafka.dead-letter-topic")
            .stringType().defaultValue("image-dead-letters")
            .withDescription("Topic of DeadLetters: every input that could not be scored, with a reason.");
    public static final ConfigOption<String> LABEL_SET_TOPIC = key("siglip.kafka.label-set-topic")
            .stringType().noDefaultValue()
            .withDescription("Compacted control topic of LabelSetUpdates (key = label-set id), read from the start. Optional.");
    public static final ConfigOption<String> GROUP_ID = key("siglip.kafka.group-id")
            .stringType().noDefaultValue()
            .withDescription("Consumer group id (offsets are committed on checkpoints). Default: derived from the job "
                    + "name and its input, output and dead-letter topics (JobIdentity), e.g. siglip-stream-images-3f9a2b1c4d, "
                    + "so that two different jobs on one Kafka never share a group.");
    public static final ConfigOption<StartingOffsets> STARTING_OFFSETS = key("siglip.kafka.starting-offsets")
            .enumType(StartingOffsets.class).defaultValue(StartingOffsets.COMMITTED)
            .withDescription("earliest, latest, or committed (the group's offsets; earliest where there are none).");
    public static final ConfigOption<String> STOPPING_OFFSETS = key("siglip.kafka.stopping-offsets")
            .stringType().noDefaultValue()
            .withDescription("Makes the Kafka input bounded (a backfill of a range): latest (the end offsets when the "
                    + "job starts), timestamp:T (the first offset at or after T, epoch milliseconds or ISO-8601), or "
                    + "explicit offsets topic:partition:offset,... (exclusive; name every partition). Unset: unbounded.");
    public static final ConfigOption<Map<String, String>> KAFKA_PROPERTIES = key("siglip.kafka.properties")
            .mapType().defaultValue(Map.of())
            .withDescription("Kafka client properties passed to the source and the sink as they are "
                    + "(TLS, SASL, ...), e.g. siglip.kafka.properties.security.protocol: SASL_SSL.");
    public static final ConfigOption<Duration> PARTITION_DISCOVERY = key("siglip.kafka.partition-discovery-interval")
            .durationType().defaultValue(Duration.ofSeconds(10))
            .withDescription("How often the sources look for new partitions and for topics matching input-pattern; "
                    + "the label-set topic may appear after the job starts.");
    public static final ConfigOption<Duration> STARTUP_CHECK_TIMEOUT = key("siglip.kafka.startup-check-timeout")
            .durationType().defaultValue(Duration.ofSeconds(15))
            .withDescription("At start the job asks the bootstrap servers for the cluster and the input topics (Kafka "
                    + "admin client) and fails with an error naming them when they cannot be reached within this time, "
                    + "instead of restarting its tasks over and over. 0 skips the check (e.g. when the client that "
                    + "submits the job cannot reach Kafka).");
    public static final ConfigOption<Duration> WAIT_FOR_TOPICS = key("siglip.kafka.wait-for-topics")
            .durationType().defaultValue(Duration.ZERO)
            .withDescription("How long the start-up check waits for missing input topics to be created; 0 fails at "
                    + "once with the names of the missing topics. Not used with input-pattern, which picks up "
                    + "matching topics as they appear.");
    public static final ConfigOption<Guarantee> DELIVERY_GUARANTEE = key("siglip.kafka.delivery-guarantee")
            .enumType(Guarantee.class).defaultValue(Guarantee.EXACTLY_ONCE)
            .withDescription("exactly-once (transactions committed on checkpoints; read with read_committed) or at-least-once.");
    public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX = key("siglip.kafka.transactional-id-prefix")
            .stringType().noDefaultValue()
            .withDescription("Prefix of the sink's transactional ids: unique per job on a Kafka cluster, and the same "
                    + "across restarts of one job (so that a restarted job aborts or commits what its previous run left "
                    + "open). Default: derived like the group id.");
    public static final ConfigOption<Duration> TRANSACTION_TIMEOUT = key("siglip.kafka.transaction-timeout")
            .durationType().defaultValue(Duration.ofMinutes(15))
            .withDescription("transaction.timeout.ms of the exactly-once sink: longer than the longest checkpoint plus restart, "
                    + "at most the broker's transaction.max.timeout.ms.");
    public static final ConfigOption<WireFormat> WIRE_FORMAT = key("siglip.kafka.wire-format")
            .enumType(WireFormat.class).defaultValue(WireFormat.PLAIN)
            .withDescription("plain Avro binary, or confluent (magic byte + 4-byte schema id) framing.");
    public static final ConfigOption<Integer> SCHEMA_ID = key("siglip.kafka.schema-id")
            .intType().defaultValue(WireFormat.DEFAULT_SCHEMA_ID)
            .withDescription("Schema id written in the Confluent header of the job's output records and expected in "
                    + "its inputs' (the same default as the CLI's --schema-id).");
    public static final ConfigOption<Integer> DEAD_LETTER_EXCERPT_BYTES = key("siglip.dead-letter.excerpt-bytes")
            .intType().defaultValue(64 * 1024)
            .withDescription("At most this many bytes of the original record are copied into a dead letter (its size, "
                    + "SHA-256 and source topic/partition/offset are always there, to re-read the whole of it). "
                    + "Plus 16 KiB for the other fields, it must fit the sink's max.request.size.");

    // ---- Label sets and scoring ----
    public static final ConfigOption<String> LABEL_SETS_FILE = key("siglip.label-sets.file")
            .stringType().noDefaultValue()
            .withDescription("YAML file of the initial label sets (a 'label-sets:' list).");
    public static final ConfigOption<String> DEFAULT_LABEL_SET = key("siglip.label-sets.default-id")
            .stringType().noDefaultValue()
            .withDescription("Label set for events that name none; default: the first set in the file.");
    public static final ConfigOption<Integer> MAX_LABELS = key("siglip.label-sets.max-labels")
            .intType().defaultValue(2000)
            .withDescription("Labels per label set, at most: a larger set in the file stops the start, a larger update "
                    + "is refused (INVALID_LABEL_SET dead letter). With max-label-length it bounds a scored event, which "
                    + "must fit the sink's max.request.size (checked at start).");
    public static final ConfigOption<Integer> MAX_LABEL_LENGTH = key("siglip.label-sets.max-label-length")
            .intType().defaultValue(128)
            .withDescription("Characters per label, at most (in the file, in updates and inline).");
    public static final ConfigOption<Integer> MAX_INLINE_LABELS = key("siglip.label-sets.max-inline-labels")
            .intType().defaultValue(100)
            .withDescription("Labels one event may carry inline, at most; more make the event an INVALID_LABEL_SET "
                    + "dead letter (each distinct inline list costs a text-tower pass).");
    public static final ConfigOption<Float> DEFAULT_THRESHOLD = key("siglip.scoring.default-threshold")
            .floatType().defaultValue(0.5f)
            .withDescription("Score at or above which a label is 'matched', for sets without their own threshold.");
    public static final ConfigOption<Boolean> EMIT_EMBEDDING = key("siglip.scoring.emit-embedding")
            .booleanType().defaultValue(false)
            .withDescription("Copy the image embedding onto every scored event.");

    // ---- Model ----
    public static final ConfigOption<String> MODEL = key("siglip.model.name")
            .stringType().noDefaultValue()
            .withDescription("Model folder (with onnx/ and the tokenizer) or Hugging Face Hub repo id.");
    public static final ConfigOption<String> PROVIDER = key("siglip.model.provider")
            .stringType().defaultValue("cpu")
            .withDescription("cpu, cuda or tensorrt. GPU providers take the device from Flink's external resource 'gpu'.");
    public static final ConfigOption<Integer> DEVICE_ID = key("siglip.model.device-id")
            .intType().defaultValue(-1)
            .withDescription("GPU index to use when Flink has no 'gpu' external resource; -1 = GPU 0 or the resource's.");
    public static final ConfigOption<String> VARIANT = key("siglip.model.variant")
            .stringType().defaultValue("fp32")
            .withDescription("Weight variant: fp32, fp16 or quantized.");
    public static final ConfigOption<Integer> INTRA_OP_THREADS = key("siglip.model.intra-op-threads")
            .intType().defaultValue(0)
            .withDescription("ONNX Runtime intra-op threads per session; 0 lets ONNX Runtime choose.");
    public static final ConfigOption<Boolean> INTRA_OP_SPIN_WAIT = key("siglip.model.intra-op-spin-wait")
            .booleanType().defaultValue(false)
            .withDescription("Let ONNX Runtime's idle intra-op threads spin for work (its default). Off by default: "
                    + "on CPU the spinning threads take the cores from preprocessing, Kafka and Flink (tiny model on "
                    + "2 cores: about 2,450 events/s spinning, 3,600 not).");
    public static final ConfigOption<Integer> INFERENCE_NICE = key("siglip.model.inference-nice")
            .intType().noDefaultValue()
            .withDescription("Linux nice value of the thread that runs the vision model and of ONNX Runtime's intra-op "
                    + "threads (-20 to 19; unset leaves them alone). On CPU with few cores, -10 lets the model take a core "
                    + "ahead of preprocessing, Kafka and Flink threads, which shortens the latency tail (tiny model on 2 "
                    + "cores at half load: p99 in scoring 140 ms at 0, 11 ms at -10). A value below the current one needs "
                    + "CAP_SYS_NICE (root, or the capability granted to the container); without it the threads keep "
                    + "their priority and a warning is logged.");
    public static final ConfigOption<Boolean> ALLOW_CPU_FALLBACK = key("siglip.model.allow-cpu-fallback")
            .booleanType().defaultValue(false)
            .withDescription("Run on CPU (with a warning and the cpuFallback gauge) when the GPU provider cannot load.");

    // ---- Batching and async ----
    public static final ConfigOption<Integer> MAX_BATCH_SIZE = key("siglip.batch.max-size")
            .intType().defaultValue(32)
            .withDescription("A batch is run when it has this many images ...");
    public static final ConfigOption<Duration> MAX_BATCH_DELAY = key("siglip.batch.max-delay")
            .durationType().defaultValue(Duration.ofMillis(10))
            .withDescription("... or when its first image has waited this long.");
    public static final ConfigOption<Boolean> BATCH_DISPATCH_WHEN_IDLE = key("siglip.batch.dispatch-when-idle")
            .booleanType().defaultValue(false)
            .withDescription("Start a batch as soon as the model is idle, with the images that have gathered, instead of "
                    + "waiting for max-size or max-delay. Under load nothing changes (images gather while a batch runs); "
                    + "at low load an image no longer waits up to max-delay in front of an idle model.");
    public static final ConfigOption<Integer> BATCH_CONCURRENCY = key("siglip.batch.concurrency")
            .intType().defaultValue(1)
            .withDescription("Batches that run at once on a task manager's shared session, each on an inference thread of "
                    + "its own. 1 runs one batch at a time, ONNX Runtime's intra-op threads sharing the cores. On a CPU "
                    + "task manager, N with siglip.model.intra-op-threads 1 gives each of N cores a batch of its own: "
                    + "intra-op threads wait for each other at every operator, so one that loses its core for a moment "
                    + "(to preprocessing, Kafka or the JIT) holds the others up; a batch on one thread only holds up itself.");
    public static final ConfigOption<Boolean> BATCH_BUCKETING = key("siglip.batch.bucketing")
            .booleanType().defaultValue(false)
            .withDescription("Pad batches to powers of two so GPU providers do not re-plan for every size.");
    public static final ConfigOption<AsyncMode> ASYNC_MODE = key("siglip.async.mode")
            .enumType(AsyncMode.class).defaultValue(AsyncMode.ORDERED)
            .withDescription("ordered keeps input order per subtask; unordered emits as soon as scored.");
    public static final ConfigOption<Integer> ASYNC_CAPACITY = key("siglip.async.capacity")
            .intType().defaultValue(128)
            .withDescription("In-flight images per subtask; the back-pressure bound.");
    public static final ConfigOption<Duration> ASYNC_TIMEOUT = key("siglip.async.timeout")
            .durationType().defaultValue(Duration.ofSeconds(60))
            .withDescription("An image not scored within this time (retries included) becomes a TIMEOUT dead letter.");
    public static final ConfigOption<Integer> ASYNC_RETRIES = key("siglip.async.retries")
            .intType().defaultValue(2)
            .withDescription("Extra attempts after an inference failure before the INFERENCE_FAILED dead letter.");
    public static final ConfigOption<Duration> ASYNC_RETRY_DELAY = key("siglip.async.retry-delay")
            .durationType().defaultValue(Duration.ofMillis(200))
            .withDescription("Delay between inference attempts.");

    // ---- Images ----
    public static final ConfigOption<Integer> PREPROCESS_THREADS = key("siglip.preprocess.threads")
            .intType().noDefaultValue()
            .withDescription("Threads of the per-JVM pool that decodes and resizes images (smallest images first); the "
                    + "pool that ranks and encodes results after their batch has as many. Fetching has its own pool "
                    + "(siglip.fetch.threads). Default: half the TaskManager's cores (counted on the TaskManager, not on "
                    + "the client that submits the job).");
    public static final ConfigOption<Integer> PREPROCESS_NICE = key("siglip.preprocess.nice")
            .intType().noDefaultValue()
            .withDescription("Linux nice value of the preprocessing pool's threads and of those that fetch, rank the scores "
                    + "and encode the results (-20 to 19; unset leaves them alone). With siglip.model.inference-nice below "
                    + "it, e.g. -5 here and -10 there, the scoring path runs ahead of the Kafka clients and Flink while "
                    + "the model keeps first call on a core. Below the current value needs the same privilege.");
    public static final ConfigOption<Long> MAX_IMAGE_PIXELS = key("siglip.image.max-pixels")
            .longType().defaultValue(40_000_000L)
            .withDescription("Images with more pixels (width x height, read from the header) become IMAGE_TOO_LARGE.");
    public static final ConfigOption<dev.siglipstream.siglip.image.DecodeMode> IMAGE_DECODE = key("siglip.image.decode")
            .enumType(dev.siglipstream.siglip.image.DecodeMode.class).defaultValue(dev.siglipstream.siglip.image.DecodeMode.EXACT)
            .withDescription("exact: decode every image at full size, pixels identical to transformers + Pillow. fast: a "
                    + "baseline JPEG of at least 8x the model's size in both dimensions (e.g. a 12 MP photo for a 224 model) "
                    + "is decoded at 1/4 or 1/8 scale in the DCT domain (Pillow's draft() rule: never below twice the "
                    + "model's size), then resized the same way: about half the CPU per such photo, pixels within a few "
                    + "levels of exact (docs/benchmarks.md, Real photo sizes). Other images decode exactly either way.");
    public static final ConfigOption<Double> PIXEL_BUDGET = key("siglip.image.pixel-budget-megapixels")
            .doubleType().defaultValue(25.0)
            .withDescription("Real-time cost budget per image, in decoded megapixels (width x height from the header, "
                    + "read before any decoding): larger images become IMAGE_OVER_BUDGET dead letters at once instead of "
                    + "holding a preprocessing thread (a 6000x6000 PNG takes about a second to decode and resize on one "
                    + "core). The default admits 24-megapixel camera photos. Below the budget, the preprocessing queue "
                    + "takes smaller images first, so a flood of large ones does not hold small ones up.");
    public static final ConfigOption<Integer> MAX_IMAGE_BYTES = key("siglip.image.max-bytes")
            .intType().defaultValue(20 * 1024 * 1024)
            .withDescription("Encoded images (inline or fetched) larger than this become IMAGE_TOO_LARGE / TOO_LARGE.");
    public static final ConfigOption<List<String>> URI_ALLOWLIST = key("siglip.fetch.allowlist")
            .stringType().asList().defaultValues()
            .withDescription("URI prefixes images may be fetched from (e.g. https://images.example.com/, file:/data/); empty = no fetching.");
    public static final ConfigOption<Duration> FETCH_TIMEOUT = key("siglip.fetch.timeout")
            .durationType().defaultValue(Duration.ofSeconds(10))
            .withDescription("Deadline of one image fetch: connect, status line, headers and body of every redirect hop "
                    + "together (the connection is closed when it passes; FETCH_FAILED).");
    public static final ConfigOption<Integer> FETCH_THREADS = key("siglip.fetch.threads")
            .intType().defaultValue(8)
            .withDescription("Threads of the per-JVM pool that fetches images given by URI; apart from the "
                    + "preprocessing pool, so slow servers hold up only other fetches.");
    public static final ConfigOption<Boolean> FETCH_ALLOW_PRIVATE_ADDRESSES = key("siglip.fetch.allow-private-addresses")
            .booleanType().defaultValue(false)
            .withDescription("UNSAFE outside tests and trusted networks: also fetch from loopback, private, link-local and "
                    + "cloud-metadata addresses (refused by default even when on the allowlist, so a producer cannot "
                    + "make the job read internal services).");

    // ---- Schema registry (with wire-format confluent) ----
    public static final ConfigOption<List<String>> SCHEMA_REGISTRY_URL = key("siglip.schema-registry.url")
            .stringType().asList().noDefaultValue()
            .withDescription("Base URL(s) of a Confluent-compatible schema registry (Confluent, Karapace, Redpanda, or "
                    + "Apicurio's .../apis/ccompat/v7), tried in turn. Set: input records may carry any writer schema id "
                    + "the registry knows (resolved to the job's schemas), and outputs are framed with registered ids. "
                    + "Needs wire-format confluent; unset: the fixed schema-id.");
    public static final ConfigOption<String> SCHEMA_REGISTRY_BASIC_AUTH = key("siglip.schema-registry.basic-auth-user-info")
            .stringType().noDefaultValue()
            .withDescription("user:password for HTTP basic auth to the registry.");
    public static final ConfigOption<String> SCHEMA_REGISTRY_BEARER_TOKEN = key("siglip.schema-registry.bearer-token")
            .stringType().noDefaultValue()
            .withDescription("Token sent as 'Authorization: Bearer ...' to the registry (instead of basic auth).");
    public static final ConfigOption<String> SCHEMA_REGISTRY_TRUSTSTORE = key("siglip.schema-registry.truststore.location")
            .stringType().noDefaultValue()
            .withDescription("Trust store (PKCS12 or JKS) for an https registry; default: the JVM's trusted CAs.");
    public static final ConfigOption<String> SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD = key("siglip.schema-registry.truststore.password")
            .stringType().noDefaultValue()
            .withDescription("Password of the trust store.");
    public static final ConfigOption<String> SCHEMA_REGISTRY_TRUSTSTORE_TYPE = key("siglip.schema-registry.truststore.type")
            .stringType().defaultValue("PKCS12")
            .withDescription("PKCS12 or JKS.");
    public static final ConfigOption<SubjectNameStrategy> SCHEMA_REGISTRY_SUBJECT_STRATEGY = key("siglip.schema-registry.subject-strategy")
            .enumType(SubjectNameStrategy.class).defaultValue(SubjectNameStrategy.TOPIC_NAME)
            .withDescription("Subject of the job's output schemas: topic-name (<topic>-value), record-name (the record's "
                    + "full name) or topic-record-name (<topic>-<record full name>).");
    public static final ConfigOption<Boolean> SCHEMA_REGISTRY_AUTO_REGISTER = key("siglip.schema-registry.auto-register")
            .booleanType().defaultValue(true)
            .withDescription("Register the output schemas (LabelScoreEvent, DeadLetter) under their subjects; false only "
                    + "looks their ids up, for registries where schemas are registered ahead (the job fails when one is missing).");
    public static final ConfigOption<Integer> SCHEMA_REGISTRY_CACHE_SIZE = key("siglip.schema-registry.cache-size")
            .intType().defaultValue(1000)
            .withDescription("Most schemas kept per task manager (by id) and resolved readers per record type.");
    public static final ConfigOption<Duration> SCHEMA_REGISTRY_TIMEOUT = key("siglip.schema-registry.request-timeout")
            .durationType().defaultValue(Duration.ofSeconds(10))
            .withDescription("Connect and response timeout of one registry request.");
    public static final ConfigOption<Integer> SCHEMA_REGISTRY_RETRIES = key("siglip.schema-registry.retries")
            .intType().defaultValue(3)
            .withDescription("Extra attempts when the registry is unreachable or answers 5xx/408/429. When all fail, "
                    + "the task fails and Flink restarts it from the last checkpoint (nothing is dropped or dead-lettered).");
    public static final ConfigOption<Duration> SCHEMA_REGISTRY_RETRY_BACKOFF = key("siglip.schema-registry.retry-backoff")
            .durationType().defaultValue(Duration.ofMillis(500))
            .withDescription("Delay before the first registry retry, doubled for each further one.");

    // ---- Job ----
    public static final ConfigOption<Integer> PARALLELISM = key("siglip.job.parallelism")
            .intType().noDefaultValue()
            .withDescription("Parallelism of the job's operators; default: Flink's own (flink run -p, "
                    + "parallelism.default; 1 for ./siglip run).");
    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL = key("siglip.job.checkpoint-interval")
            .durationType().noDefaultValue()
            .withDescription("Checkpoint interval; exactly-once output becomes visible at each checkpoint. Default: the "
                    + "cluster's execution.checkpointing.interval, else 10 s.");
    public static final ConfigOption<String> JOB_NAME = key("siglip.job.name")
            .stringType().defaultValue("siglip-stream")
            .withDescription("Flink job name.");
}
