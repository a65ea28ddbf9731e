package dev.siglipstream.stream.job;

import dev.siglipstream.flink.SiglipScoring;
import dev.siglipstream.stream.kafka.RestoreAwareKafkaSink;
import dev.siglipstream.stream.labels.LabelSet;
import dev.siglipstream.stream.labels.LabelSetFile;
import dev.siglipstream.stream.labels.LabelSetLimits;
import dev.siglipstream.stream.labels.LabelSetResolution;
import dev.siglipstream.stream.model.ModelLoader;
import dev.siglipstream.stream.model.ModelSpec;
import dev.siglipstream.stream.operator.Codecs;
import dev.siglipstream.stream.operator.ImageScoringFunction;
import dev.siglipstream.stream.operator.LabelSetResolver;
import dev.siglipstream.stream.operator.Output;
import dev.siglipstream.stream.operator.OutputMetrics;
import dev.siglipstream.stream.operator.OutputSerializer;
import dev.siglipstream.stream.operator.RawRecord;
import dev.siglipstream.stream.operator.RawRecordDeserializer;
import dev.siglipstream.stream.operator.ResolvedEvent;
import dev.siglipstream.stream.operator.StaticLabelSetResolver;
import dev.siglipstream.stream.options.BackfillOptions;
import dev.siglipstream.stream.options.JobArguments;
import dev.siglipstream.stream.options.JobIdentity;
import dev.siglipstream.stream.options.JobOptions;
import dev.siglipstream.stream.registry.RegistrySettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import picocli.CommandLine;

/**
 * The SigLIP tagging job: Kafka image events → label set from broadcast state → async
 * micro-batched SigLIP scoring → Kafka, with every input ending as one scored event or one dead
 * letter. The same main class serves {@code ./siglip run} and {@code flink run}.
 *
 * <pre>{@code
 * flink run siglip-stream-0.1.0-job.jar \
 *     --bootstrap kafka:9092 --input-topic images --output-topic image-labels \
 *     --dead-letter-topic image-dead-letters --label-set-topic label-sets \
 *     --label-sets /opt/label-sets.yaml --model /models/siglip-base-patch16-224 --provider cuda
 * }</pre>
 */
public final class SiglipStreamJob {
    /** Retry when the attempt ended as an inference failure (serializable: it ships with the graph). */
    private static final java.util.function.Predicate<java.util.Collection<Output>> RETRYABLE =
            (java.util.function.Predicate<java.util.Collection<Output>> & java.io.Serializable)
                    results -> results.stream().anyMatch(Output::retryable);

    /** The checkpoint interval when neither siglip.job.checkpoint-interval nor the cluster sets one. */
    public static final java.time.Duration DEFAULT_CHECKPOINT_INTERVAL = java.time.Duration.ofSeconds(10);
    /** The Kafka producer setting that bounds one record. */
    static final String MAX_REQUEST_SIZE = "max.request.size";
    /** Kafka's default {@value #MAX_REQUEST_SIZE}, which the brokers' default message.max.bytes also accepts. */
    static final int DEFAULT_MAX_REQUEST_SIZE = 1024 * 1024;
    /**
     * Room in a scored event for everything but its labels' text: ids, topic names, timings and an
     * embedding of up to 4,096 floats. Metadata beyond it is caught by the size check before the sink.
     */
    static final int SCORED_EVENT_HEADROOM_BYTES = 64 * 1024;

    private SiglipStreamJob() {}

    /** {@code flink run} entry point: the same flags as {@code ./siglip run}. */
    public static void main(String[] args) throws Exception {
        JobArguments arguments = new JobArguments();
        CommandLine cli = new CommandLine(arguments).setCommandName("siglip-stream-job");
        try {
            cli.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            System.err.println(e.getMessage());
            cli.usage(System.err);
            throw e;
        }
        Configuration given = arguments.toConfiguration();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(given);
        Configuration conf = jobConfiguration(env.getConfiguration(), given);
        // The job's settings, wherever they came from, on the REST API (/jobs/ID/config, user-config).
        env.getConfig().setGlobalJobParameters(siglipKeys(conf));
        build(env, conf, Models.defaultLoader(conf));
        env.execute(conf.get(JobOptions.JOB_NAME));
    }

    /** Checks {@code conf} the way {@link #build} does, naming the first missing or wrong setting. */
    public static void validate(Configuration conf) {
        JobPlan.of(conf);
    }

    /**
     * The job's settings: the Flink configuration the job is submitted with (the cluster's config.yaml,
     * {@code flink run -D}, the operator's flinkConfiguration), with the program arguments on top.
     */
    public static Configuration jobConfiguration(ReadableConfig flink, Configuration programArguments) {
        Configuration conf = Configuration.fromMap(flink.toMap());
        conf.addAll(programArguments);
        return conf;
    }

    /** Only the {@code siglip.*} keys of {@code conf}. */
    static Configuration siglipKeys(Configuration conf) {
        Map<String, String> keys = new java.util.TreeMap<>();
        conf.toMap().forEach((k, v) -> {
            if (k.startsWith(JobOptions.PREFIX)) keys.put(k, v);
        });
        return Configuration.fromMap(keys);
    }

    /**
     * Adds the job to {@code env}: sources, resolver, async scoring and the sink, plus checkpointing
     * and parallelism from {@code conf}.
     *
     * @param loader opens the model on each task manager (the library's SigLIP model in production)
     */
    public static void build(StreamExecutionEnvironment env, Configuration conf, ModelLoader loader) {
        build(env, conf, loader, UnaryOperator.identity());
    }

    /**
     * As {@link #build(StreamExecutionEnvironment, Configuration, ModelLoader)}, with {@code beforeSink}
     * applied to the stream of encoded outputs just before the sink (tests inject failures there).
     */
    public static void build(StreamExecutionEnvironment env, Configuration conf, ModelLoader loader,
            UnaryOperator<DataStream<Output>> beforeSink) {
        JobPlan plan = JobPlan.of(conf);
        // Flink's own settings (-p, parallelism.default, execution.checkpointing.*) apply unless a siglip.* key says otherwise.
        if (plan.parallelism() != null) {
            env.setParallelism(plan.parallelism());
        }
        if (env.getConfiguration().get(ExecutionOptions.RUNTIME_MODE) == RuntimeExecutionMode.BATCH) {
            // A bounded backfill in batch mode: no checkpoints; the sinks commit when the input ends.
        } else if (plan.checkpointInterval() != null) {
            env.enableCheckpointing(plan.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
        } else if (!env.getCheckpointConfig().isCheckpointingEnabled()) {
            // Output is committed on checkpoints: never run without them.
            env.enableCheckpointing(DEFAULT_CHECKPOINT_INTERVAL.toMillis(), CheckpointingMode.EXACTLY_ONCE);
        }
        // Records go from operator to operator of the chain without a deep copy at each hop (a copy of
        // every image's bytes, twice). Safe here: no function keeps or changes a record it was given,
        // and the async operator copies what it keeps in flight when reuse is on.
        env.getConfig().enableObjectReuse();

        Codecs codecs = new Codecs(conf.get(JobOptions.WIRE_FORMAT), conf.get(JobOptions.SCHEMA_ID),
                conf.get(JobOptions.DEAD_LETTER_TOPIC), conf.get(JobOptions.DEAD_LETTER_EXCERPT_BYTES),
                RegistrySettings.fromConfiguration(conf));
        Properties kafka = kafkaProperties(conf);
        // Before anything is submitted: a wrong address or a missing input topic is one clear error here,
        // not tasks that fail and restart over and over.
        if (!BackfillOptions.readsFiles(conf)) {
            KafkaStartupCheck.run(plan.bootstrap(), plan.inputTopics(), kafka, conf.get(JobOptions.STARTUP_CHECK_TIMEOUT),
                    conf.get(JobOptions.WAIT_FOR_TOPICS));
        }
        JobIdentity identity = JobIdentity.of(conf);
        String groupId = identity.groupId(conf);

        // A backfill may read files instead.
        DataStream<RawRecord> raw = BackfillOptions.readsFiles(conf) ? BackfillSources.files(env, conf, codecs)
                : env.fromSource(kafkaImages(conf, plan, kafka, groupId), WatermarkStrategy.noWatermarks(), "images")
                        .uid("images-source");

        LabelSetResolution resolution = new LabelSetResolution(plan.labelSets(), conf.get(JobOptions.DEFAULT_LABEL_SET),
                plan.limits());
        SingleOutputStreamOperator<ResolvedEvent> resolved;
        String controlTopic = conf.get(JobOptions.LABEL_SET_TOPIC);
        if (controlTopic != null) {
            KafkaSource<RawRecord> control = KafkaSource.<RawRecord>builder()
                    .setBootstrapServers(plan.bootstrap())
                    .setGroupId(groupId + "-label-sets")
                    // A pattern tolerates a control topic that does not exist yet: scoring runs on the
                    // static sets until it appears (found within the discovery interval).
                    .setTopicPattern(Pattern.compile(Pattern.quote(controlTopic)))
                    // A compacted topic replayed from the start rebuilds every live set.
                    .setStartingOffsets(OffsetsInitializer.earliest())
                    .setDeserializer(new RawRecordDeserializer()) // decoded by the resolver: an unreadable update is a dead letter too
                    .setProperties(kafka)
                    .build();
            BroadcastStream<RawRecord> broadcast = env.fromSource(control, WatermarkStrategy.noWatermarks(), "label-set-updates")
                    .uid("label-set-source").setParallelism(1)
                    .broadcast(LabelSetResolver.STATE);
            resolved = raw.connect(broadcast)
                    .process(new LabelSetResolver(resolution, codecs), TypeInformation.of(ResolvedEvent.class));
        } else {
            // No control topic: the static sets only, chained to the source (no network hop at all).
            resolved = raw.process(new StaticLabelSetResolver(resolution, codecs), TypeInformation.of(ResolvedEvent.class));
        }
        resolved = resolved.uid("resolve-label-set").name("resolve-label-set");

        ModelSpec spec = new ModelSpec(plan.model(), conf.get(JobOptions.PROVIDER), conf.get(JobOptions.DEVICE_ID),
                conf.get(JobOptions.VARIANT), conf.get(JobOptions.INTRA_OP_THREADS), conf.get(JobOptions.INTRA_OP_SPIN_WAIT),
                conf.get(JobOptions.INFERENCE_NICE), conf.get(JobOptions.ALLOW_CPU_FALLBACK), conf.get(JobOptions.MAX_BATCH_SIZE),
                conf.get(JobOptions.MAX_BATCH_DELAY).toMillis(), conf.get(JobOptions.BATCH_DISPATCH_WHEN_IDLE),
                conf.get(JobOptions.BATCH_CONCURRENCY), conf.get(JobOptions.BATCH_BUCKETING),
                conf.getOptional(JobOptions.PREPROCESS_THREADS).orElse(0), conf.get(JobOptions.PREPROCESS_NICE),
                conf.get(JobOptions.FETCH_THREADS));
        ImageScoringFunction.Settings settings = new ImageScoringFunction.Settings(
                conf.get(JobOptions.OUTPUT_TOPIC), conf.get(JobOptions.DEFAULT_THRESHOLD),
                conf.get(JobOptions.EMIT_EMBEDDING), conf.get(JobOptions.MAX_IMAGE_PIXELS),
                conf.get(JobOptions.MAX_IMAGE_BYTES), plan.pixelBudget(), ImageSources.fromOptions(conf));
        ImageScoringFunction scoring = new ImageScoringFunction(spec, loader, settings, codecs);

        SingleOutputStreamOperator<Output> scored = SiglipScoring.asyncWait(resolved, scoring, conf.get(JobOptions.ASYNC_TIMEOUT),
                conf.get(JobOptions.ASYNC_CAPACITY), conf.get(JobOptions.ASYNC_MODE) == JobOptions.AsyncMode.ORDERED,
                conf.get(JobOptions.ASYNC_RETRIES), conf.get(JobOptions.ASYNC_RETRY_DELAY), RETRYABLE);
        // Resolver dead letters pass through the async operator, so resolve → score → count → sink is one
        // chain: no network hop (each one a buffer timeout of latency) and no serialisation in between.
        scored = scored.uid("score-images").name("score-images");

        DataStream<Output> counted = scored.map(new OutputMetrics(codecs, plan.maxRecordBytes()))
                .name("count-outputs").uid("count-outputs");
        String progress = conf.get(BackfillOptions.PROGRESS_ID);
        if (progress != null) {
            counted = counted.map(new BackfillProgress.Count(progress)).name("progress").uid("progress");
        }
        if (BackfillOptions.writesFiles(conf)) {
            BackfillSinks.avroFiles(beforeSink.apply(counted), conf, codecs);
            return;
        }
        beforeSink.apply(counted).sinkTo(sink(plan, conf, kafka)).uid("kafka-sink").name("kafka-sink");
    }

    /** The image events' Kafka source: bounded when stopping offsets are set. */
    private static KafkaSource<RawRecord> kafkaImages(Configuration conf, JobPlan plan, Properties kafka, String groupId) {
        KafkaSourceBuilder<RawRecord> source = KafkaSource.<RawRecord>builder()
                .setBootstrapServers(plan.bootstrap())
                .setGroupId(groupId)
                .setStartingOffsets(startingOffsets(conf.get(JobOptions.STARTING_OFFSETS)))
                .setDeserializer(new RawRecordDeserializer())
                .setProperties(kafka);
        conf.getOptional(JobOptions.STOPPING_OFFSETS).map(KafkaStoppingOffsets::parse).ifPresent(source::setBounded);
        if (plan.inputPattern() != null) {
            source.setTopicPattern(Pattern.compile(plan.inputPattern()));
        } else {
            source.setTopics(plan.inputTopics());
        }
        return source.build();
    }

    static Sink<Output> sink(JobPlan plan, Configuration conf, Properties kafka) {
        Properties producer = new Properties();
        producer.putAll(kafka);
        // The bound the outputs are checked against before the sink (OutputMetrics): one value for both.
        producer.setProperty(MAX_REQUEST_SIZE, String.valueOf(plan.maxRecordBytes()));
        producer.putIfAbsent("transaction.timeout.ms", String.valueOf(conf.get(JobOptions.TRANSACTION_TIMEOUT).toMillis()));
        DeliveryGuarantee guarantee = conf.get(JobOptions.DELIVERY_GUARANTEE) == JobOptions.Guarantee.EXACTLY_ONCE
                ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE;
        KafkaSink<Output> sink = KafkaSink.<Output>builder()
                .setBootstrapServers(plan.bootstrap())
                .setKafkaProducerConfig(producer)
                .setRecordSerializer(new OutputSerializer())
                .setDeliveryGuarantee(guarantee)
                .setTransactionalIdPrefix(JobIdentity.of(conf).transactionalIdPrefix(conf))
                .build();
        if (guarantee != DeliveryGuarantee.EXACTLY_ONCE) {
            return sink;
        }
        // After a restore, transactions committed before the crash are not committed again (and not
        // reported as fenced, "most likely data loss").
        Properties admin = new Properties();
        admin.putAll(kafka);
        admin.setProperty("bootstrap.servers", plan.bootstrap());
        return new RestoreAwareKafkaSink<>(sink, admin);
    }

    static Properties kafkaProperties(Configuration conf) {
        Properties p = new Properties();
        // Upstream producers may write transactionally; never read their aborted records.
        p.setProperty("isolation.level", "read_committed");
        p.setProperty("partition.discovery.interval.ms", String.valueOf(conf.get(JobOptions.PARTITION_DISCOVERY).toMillis()));
        for (Map.Entry<String, String> e : conf.get(JobOptions.KAFKA_PROPERTIES).entrySet()) {
            p.setProperty(e.getKey(), e.getValue());
        }
        return p;
    }

    static OffsetsInitializer startingOffsets(JobOptions.StartingOffsets where) {
        return switch (where) {
            case EARLIEST -> OffsetsInitializer.earliest();
            case LATEST -> OffsetsInitializer.latest();
            case COMMITTED -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
        };
    }

    /** The cross-checked essentials of a job configuration. */
    record JobPlan(String bootstrap, List<String> inputTopics, String inputPattern, String model,
            List<LabelSet> labelSets, Integer parallelism, java.time.Duration checkpointInterval, LabelSetLimits limits,
            int maxRecordBytes, long pixelBudget) {

        static JobPlan of(Configuration conf) {
            String bootstrap = conf.get(JobOptions.BOOTSTRAP_SERVERS);
            boolean files = BackfillOptions.readsFiles(conf);
            if ((bootstrap == null || bootstrap.isBlank()) && !(files && BackfillOptions.writesFiles(conf))) {
                throw new IllegalArgumentException("no Kafka bootstrap servers: set --bootstrap or "
                        + JobOptions.BOOTSTRAP_SERVERS.key());
            }
            List<String> topics = conf.get(JobOptions.INPUT_TOPICS);
            String pattern = conf.get(JobOptions.INPUT_PATTERN);
            boolean hasTopics = topics != null && !topics.isEmpty();
            if (files && (hasTopics || pattern != null)) {
                throw new IllegalArgumentException("set either the files to read (" + BackfillOptions.INPUT.key()
                        + ") or input topics, not both");
            }
            if (conf.get(JobOptions.LABEL_SET_TOPIC) != null && BackfillOptions.bounded(conf)) {
                throw new IllegalArgumentException("a bounded job (" + BackfillOptions.INPUT.key() + " or "
                        + JobOptions.STOPPING_OFFSETS.key() + ") cannot follow a label-set topic, which never ends: "
                        + "give the label sets as a file");
            }
            if (!files && hasTopics == (pattern != null)) {
                throw new IllegalArgumentException("set exactly one of --input-topic (" + JobOptions.INPUT_TOPICS.key()
                        + ") and --input-pattern (" + JobOptions.INPUT_PATTERN.key() + "), got "
                        + (hasTopics ? "both" : "neither"));
            }
            if (pattern != null) {
                Pattern.compile(pattern);
            }
            String model = conf.get(JobOptions.MODEL);
            if (model == null || model.isBlank()) {
                throw new IllegalArgumentException("no model: set --model or " + JobOptions.MODEL.key());
            }
            LabelSetLimits limits = new LabelSetLimits(atLeast(conf, JobOptions.MAX_LABELS, 1),
                    atLeast(conf, JobOptions.MAX_LABEL_LENGTH, 1), atLeast(conf, JobOptions.MAX_INLINE_LABELS, 1));
            int maxRecordBytes = maxRecordBytes(conf, limits);
            String file = conf.get(JobOptions.LABEL_SETS_FILE);
            List<LabelSet> sets = file == null ? List.of() : LabelSetFile.read(Path.of(file), limits);
            String def = conf.get(JobOptions.DEFAULT_LABEL_SET);
            if (def != null && sets.stream().noneMatch(s -> s.id().equals(def)) && conf.get(JobOptions.LABEL_SET_TOPIC) == null) {
                throw new IllegalArgumentException("default label set '" + def + "' is not in "
                        + (file == null ? "any label-set file" : file) + " and there is no label-set topic");
            }
            Integer parallelism = conf.contains(JobOptions.PARALLELISM) ? atLeast(conf, JobOptions.PARALLELISM, 1) : null;
            if (conf.contains(JobOptions.PREPROCESS_THREADS)) {
                atLeast(conf, JobOptions.PREPROCESS_THREADS, 1);
            }
            atLeast(conf, JobOptions.MAX_BATCH_SIZE, 1);
            atLeast(conf, JobOptions.BATCH_CONCURRENCY, 1);
            atLeast(conf, JobOptions.ASYNC_CAPACITY, 1);
            atLeast(conf, JobOptions.ASYNC_RETRIES, 0);
            atLeast(conf, JobOptions.FETCH_THREADS, 1);
            double budget = conf.get(JobOptions.PIXEL_BUDGET);
            if (!(budget > 0) || Double.isInfinite(budget)) {
                throw new IllegalArgumentException(JobOptions.PIXEL_BUDGET.key() + " must be a positive number of megapixels, got "
                        + budget);
            }
            // setpriority() would clamp 50 to 19 without a word.
            niceValue(conf, JobOptions.INFERENCE_NICE);
            niceValue(conf, JobOptions.PREPROCESS_NICE);
            return new JobPlan(bootstrap, hasTopics ? topics : List.of(), pattern, model, sets, parallelism,
                    conf.getOptional(JobOptions.CHECKPOINT_INTERVAL).orElse(null), limits, maxRecordBytes,
                    Math.round(budget * 1_000_000));
        }

        /**
         * The sink's record bound ({@value #MAX_REQUEST_SIZE} from siglip.kafka.properties, else Kafka's
         * default), checked against the largest dead letter and the largest scored event the limits allow,
         * so neither can be refused by the sink for its size.
         */
        private static int maxRecordBytes(Configuration conf, LabelSetLimits limits) {
            String set = conf.get(JobOptions.KAFKA_PROPERTIES).get(MAX_REQUEST_SIZE);
            int max;
            try {
                max = set == null ? DEFAULT_MAX_REQUEST_SIZE : Integer.parseInt(set.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(JobOptions.KAFKA_PROPERTIES.key() + "." + MAX_REQUEST_SIZE
                        + " must be a number of bytes, got '" + set + "'");
            }
            long deadLetter = atLeast(conf, JobOptions.DEAD_LETTER_EXCERPT_BYTES, 0) + (long) Codecs.DEAD_LETTER_OVERHEAD_BYTES;
            if (deadLetter > max) {
                throw new IllegalArgumentException(JobOptions.DEAD_LETTER_EXCERPT_BYTES.key() + " ("
                        + conf.get(JobOptions.DEAD_LETTER_EXCERPT_BYTES) + ") plus " + Codecs.DEAD_LETTER_OVERHEAD_BYTES
                        + " bytes of other fields makes dead letters of up to " + deadLetter + " bytes, over the sink's "
                        + MAX_REQUEST_SIZE + " of " + max + ": lower the excerpt, or raise " + JobOptions.KAFKA_PROPERTIES.key()
                        + "." + MAX_REQUEST_SIZE + " (and the topics' max.message.bytes)");
            }
            long scored = limits.maxScoredLabelBytes() + SCORED_EVENT_HEADROOM_BYTES;
            if (scored > max) {
                throw new IllegalArgumentException(JobOptions.MAX_LABELS.key() + " (" + limits.maxLabels() + ") and "
                        + JobOptions.MAX_LABEL_LENGTH.key() + " (" + limits.maxLabelLength() + ") allow scored events of up to "
                        + scored + " bytes, over the sink's " + MAX_REQUEST_SIZE + " of " + max + ": lower them, or raise "
                        + JobOptions.KAFKA_PROPERTIES.key() + "." + MAX_REQUEST_SIZE + " (and the topics' max.message.bytes)");
            }
            return max;
        }

        private static void niceValue(Configuration conf, ConfigOption<Integer> option) {
            Integer value = conf.get(option);
            if (!ModelSpec.isNiceValue(value)) {
                throw new IllegalArgumentException(option.key() + " must be a nice value from -20 to 19, got " + value);
            }
        }

        /** The value of {@code option}, refused by name when it is below {@code min}. */
        private static int atLeast(Configuration conf, ConfigOption<Integer> option, int min) {
            int value = conf.get(option);
            if (value < min) {
                throw new IllegalArgumentException(option.key() + " must be >= " + min + ", got " + value);
            }
            return value;
        }
    }
}
