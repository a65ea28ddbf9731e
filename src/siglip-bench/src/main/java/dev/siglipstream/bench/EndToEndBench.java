package dev.siglipstream.bench;

import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.siglip.image.PreprocessBench;
import dev.siglipstream.stream.job.Models;
import dev.siglipstream.stream.job.SiglipStreamJob;
import dev.siglipstream.stream.kafka.EmbeddedKafkaBroker;
import dev.siglipstream.stream.options.JobOptions;
import dev.siglipstream.stream.serde.AvroCodec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * End-to-end benchmark of the real job path: an in-process Kafka broker → the SigLIP job on a local
 * Flink (exactly-once sink by default) → the broker, read back with a {@code read_committed}
 * consumer. Two phases on one running job:
 *
 * <ol>
 *   <li><b>throughput</b>: {@code warmupEvents}, then {@code events} image events are produced before the
 *       job starts; the rate is, over the timed events only,
 *       the events made visible after the first committed output divided by the time from the first
 *       committed output to the last (so model loading and job start-up are not counted);</li>
 *   <li><b>latency</b>: after {@code latencyWarmup} of events at {@code loadFraction} of that rate, not
 *       timed, events are produced at that rate, each stamped with its send time; for each, two
 *       latencies: to the moment the job scored it ({@code processedAt}, what the sink writer sends on)
 *       and to the moment a {@code read_committed} consumer saw it (which, with exactly-once, includes
 *       waiting for the next checkpoint to commit the transaction).</li>
 * </ol>
 *
 * <pre>{@code
 * EndToEndBench.Result r = EndToEndBench.run(EndToEndBench.Settings.builder("/models/siglip-base")
 *         .events(200).maxBatchSize(16).intraOpThreads(2).build(), System.err);
 * }</pre>
 */
public final class EndToEndBench {
    private static final String IMAGES = "bench-images";
    private static final String LABELS = "bench-labels";
    private static final String DEAD = "bench-dead-letters";
    private static final String LABEL_SETS = """
            label-sets:
              - id: bench
                labels: [a cat, a dog, a car, a street, food, a person, a tree, a building]
            """;

    private EndToEndBench() {}

    /** What to run; build with {@link #builder(String)}. */
    public record Settings(String model, String variant, int events, int warmupEvents, boolean smallImages, int maxBatchSize,
            Duration maxBatchDelay, boolean dispatchWhenIdle, int concurrentBatches, int parallelism, int intraOpThreads, boolean spinWait, Integer inferenceNice, int preprocessThreads, Integer preprocessNice, int asyncCapacity,
            Duration checkpointInterval, Duration bufferTimeout, boolean exactlyOnce, double loadFraction,
            Duration latencyWarmup, Duration latencyDuration, int minLatencyEvents, int maxLatencyEvents, Duration timeout, int segments) {
        /** Events of the latency warm-up at {@code offered} events/s. */
        public int latencyWarmupEvents(double offered) {
            return (int) Math.round(offered * latencyWarmup.toNanos() / 1e9);
        }

        public static Builder builder(String model) {
            return new Builder(model);
        }
    }

    /** Builds {@link Settings}; the model is required, every other field has a benchmark default. */
    public static final class Builder {
        private final String model;
        private String variant = "fp32";
        private int events = 1000;
        private int warmupEvents = -1;
        private boolean smallImages;
        private int maxBatchSize = 32;
        private Duration maxBatchDelay = Duration.ofMillis(10);
        private boolean dispatchWhenIdle;
        private int concurrentBatches = 1;
        private int parallelism = 1;
        private int intraOpThreads;
        private boolean spinWait;
        private Integer inferenceNice;
        private int preprocessThreads = 1;
        private Integer preprocessNice;
        private int asyncCapacity = 0;
        private Duration checkpointInterval = Duration.ofMillis(200);
        private boolean exactlyOnce = true;
        private double loadFraction = 0.5;
        private Duration latencyWarmup = Duration.ofSeconds(15);
        private Duration latencyDuration = Duration.ofSeconds(15);
        private int minLatencyEvents = 20;
        private int maxLatencyEvents = 100_000;
        private Duration bufferTimeout = Duration.ofMillis(5);
        private Duration timeout = Duration.ofMinutes(20);
        private int segments = 1;

        private Builder(String model) {
            this.model = model;
        }

        public Builder variant(String v) { this.variant = v; return this; }
        /** Events of the throughput phase. */
        public Builder events(int n) { this.events = n; return this; }
        /** Events sent ahead of the timed ones so the JIT, the session and the transactions warm up; -1 = events / 4. */
        public Builder warmupEvents(int n) { this.warmupEvents = n; return this; }
        /** 64×64 generated JPEGs instead of the bundled 640×480 COCO photo. */
        public Builder smallImages(boolean small) { this.smallImages = small; return this; }
        public Builder maxBatchSize(int n) { this.maxBatchSize = n; return this; }
        public Builder maxBatchDelay(Duration d) { this.maxBatchDelay = d; return this; }
        /** The job starts a batch as soon as the model is idle ({@code siglip.batch.dispatch-when-idle}). */
        public Builder dispatchWhenIdle(boolean eager) { this.dispatchWhenIdle = eager; return this; }
        /** Batches the job runs at once on its session ({@code siglip.batch.concurrency}). */
        public Builder concurrentBatches(int n) { this.concurrentBatches = n; return this; }
        public Builder parallelism(int n) { this.parallelism = n; return this; }
        /** ONNX Runtime intra-op threads of the job's session (0 = ONNX Runtime's choice). */
        public Builder intraOpThreads(int n) { this.intraOpThreads = n; return this; }
        /** Whether ONNX Runtime's idle intra-op threads spin (the job's default: no). */
        public Builder spinWait(boolean spin) { this.spinWait = spin; return this; }
        /** Nice value of the job's inference thread ({@code siglip.model.inference-nice}); null leaves it alone. */
        public Builder inferenceNice(Integer nice) { this.inferenceNice = nice; return this; }
        public Builder preprocessThreads(int n) { this.preprocessThreads = n; return this; }
        /** Nice value of the job's preprocessing threads ({@code siglip.preprocess.nice}); null leaves them alone. */
        public Builder preprocessNice(Integer nice) { this.preprocessNice = nice; return this; }
        /** In-flight images per subtask; 0 = four batches' worth per batch running at once. */
        public Builder asyncCapacity(int n) { this.asyncCapacity = n; return this; }
        public Builder checkpointInterval(Duration d) { this.checkpointInterval = d; return this; }
        public Builder exactlyOnce(boolean eo) { this.exactlyOnce = eo; return this; }
        /** Offered load of the latency phase, as a fraction of the measured throughput. */
        public Builder loadFraction(double f) { this.loadFraction = f; return this; }
        /**
         * Paced events sent at the latency phase's rate before it, and not timed: the throughput phase
         * warms up batches of many images, not the one-event fetches, requests and batches of a paced
         * stream (without this, ONNX Runtime, Kafka and the JIT spend the first seconds of the phase on them).
         */
        public Builder latencyWarmup(Duration d) { this.latencyWarmup = d; return this; }
        public Builder latencyDuration(Duration d) { this.latencyDuration = d; return this; }
        public Builder minLatencyEvents(int n) { this.minLatencyEvents = n; return this; }
        public Builder maxLatencyEvents(int n) { this.maxLatencyEvents = n; return this; }
        /**
         * Flink's {@code execution.buffer-timeout.interval}: how long a partly filled network buffer
         * waits between chains. Flink's default, 100 ms per hop, would dominate the latency figures.
         */
        public Builder bufferTimeout(Duration d) { this.bufferTimeout = d; return this; }
        /** Give up when a phase has not finished within this long. */
        public Builder timeout(Duration d) { this.timeout = d; return this; }
        /**
         * Splits the timed events into this many segments, produced one after another once the job has
         * gone idle, with the {@link RawProbe} run before the first and after each: a raw figure taken
         * seconds from each end-to-end one, so that a machine whose speed drifts (a shared one) moves
         * both alike. Each segment is rounded down to whole rounds of batches (at least one).
         */
        public Builder segments(int n) { this.segments = n; return this; }

        public Settings build() {
            Objects.requireNonNull(model, "model");
            if (events < 2) throw new IllegalArgumentException("events must be >= 2, got " + events);
            if (maxBatchSize < 1) throw new IllegalArgumentException("maxBatchSize must be >= 1, got " + maxBatchSize);
            if (parallelism < 1) throw new IllegalArgumentException("parallelism must be >= 1, got " + parallelism);
            if (concurrentBatches < 1) throw new IllegalArgumentException("concurrentBatches must be >= 1, got " + concurrentBatches);
            if (segments < 1) throw new IllegalArgumentException("segments must be >= 1, got " + segments);
            if (latencyWarmup.isNegative()) throw new IllegalArgumentException("latencyWarmup must not be negative, got " + latencyWarmup);
            if (preprocessThreads < 1) throw new IllegalArgumentException("preprocessThreads must be >= 1, got " + preprocessThreads);
            if (intraOpThreads < 0) throw new IllegalArgumentException("intraOpThreads must be >= 0, got " + intraOpThreads);
            if (!(loadFraction > 0 && loadFraction <= 1)) {
                throw new IllegalArgumentException("loadFraction must be in (0, 1], got " + loadFraction);
            }
            if (minLatencyEvents < 1 || maxLatencyEvents < minLatencyEvents) {
                throw new IllegalArgumentException("latency events must satisfy 1 <= min <= max, got min " + minLatencyEvents
                        + ", max " + maxLatencyEvents);
            }
            int capacity = asyncCapacity > 0 ? asyncCapacity : Math.max(16, 4 * maxBatchSize * concurrentBatches);
            int warmup = warmupEvents >= 0 ? warmupEvents : events / 4;
            return new Settings(model, variant, events, warmup, smallImages, maxBatchSize, maxBatchDelay, dispatchWhenIdle,
                    concurrentBatches, parallelism, intraOpThreads, spinWait, inferenceNice, preprocessThreads, preprocessNice, capacity, checkpointInterval, bufferTimeout, exactlyOnce, loadFraction,
                    latencyWarmup, latencyDuration, minLatencyEvents, maxLatencyEvents, timeout, segments);
        }
    }

    /** A raw figure of the model alone, taken in the bench's process while the job is idle (see {@link Builder#segments}). */
    @FunctionalInterface
    public interface RawProbe {
        RawFigure measure() throws Exception;
    }

    /**
     * What one {@link RawProbe} measured: images/s of the vision tower alone, the process CPU per image
     * meanwhile, the machine's steal (NaN where unknown), and the cores the process used just before
     * while nothing ran but the idle job (its broker, Flink's timers, heartbeats and checkpoints): about
     * that much of the raw figure's CPU was not the model's.
     */
    public record RawFigure(double imagesPerSecond, double cpuMillisPerImage, double stealPercent, double idleCores) {}

    /** Percentiles of one latency sample, in milliseconds. */
    public record Latency(double p50, double p95, double p99, double max, int count) {
        static Latency of(double[] millis) {
            if (millis.length == 0) return new Latency(Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);
            double[] s = millis.clone();
            Arrays.sort(s);
            return new Latency(pct(s, 50), pct(s, 95), pct(s, 99), s[s.length - 1], s.length);
        }

        /** Nearest-rank percentile of sorted values. */
        private static double pct(double[] sorted, double p) {
            int rank = (int) Math.ceil(p / 100.0 * sorted.length);
            return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
        }
    }

    /**
     * The figures of one run.
     *
     * @param scored scored events of the throughput phase (distinct ids)
     * @param deadLetters dead letters of the throughput phase (distinct ids)
     * @param warmupAccounted warm-up events that came out (scored or dead-lettered)
     * @param duplicates ids seen more than once over both phases (0 with exactly-once)
     * @param eventsPerSecond throughput: events scored after the first batch ÷ the time from its scoring to the
     *     last event's (see {@code Phase.scoredRate})
     * @param committedPerSecond events visible after the first committed output ÷ first-to-last seconds (the
     *     output comes in bursts at checkpoints, so this is rough with few checkpoints)
     * @param meanBatchSize mean images per inference batch in the throughput phase
     * @param batchMillis mean inference time of one batch in the throughput phase
     * @param cpuMillisPerEvent CPU time of the whole process (job, broker and reader, every thread) from the
     *     first to the last visible output of the throughput phase, per event counted in the rate: steadier
     *     than the rate on a shared machine, and {@code cores ÷ it} is the rate the pipeline could reach
     * @param offeredRate events/s offered in the latency phase
     * @param latencyBatchMillis mean inference time of one batch in the latency phase
     * @param scoredLatency send → scored by the job ({@code processedAt}; millisecond clock)
     * @param visibleLatency send → seen by a read_committed consumer
     * @param scoringLatency the part of {@code scoredLatency} inside the scoring operator: from
     *     {@code asyncInvoke} (preprocessing, waiting for and running the batch) to scored
     * @param wakeUpDelay during the latency phase, how late a thread of this process that sleeps 1 ms
     *     at a time woke up: how long a ready thread waited for a core (the machine's and the process's
     *     scheduling delay, which no batching setting removes)
     * @param stealPercent share of the machine's CPU time stolen by the hypervisor during the throughput
     *     window ({@code /proc/stat}); NaN where unknown
     * @param stageLatency per stage of the scoring operator ({@link #STAGES}), its percentiles in the
     *     latency phase
     * @param segmentRates with segments, each segment's events/s (as {@code eventsPerSecond}); else empty
     * @param rawBetween with segments and a probe, the raw figures before the first segment and after
     *     each (one more than the segments); else empty
     */
    public record Result(int events, int scored, int deadLetters, int warmupAccounted, int duplicates, double seconds, double eventsPerSecond, double committedPerSecond,
            double meanBatchSize, double batchMillis, double cpuMillisPerEvent, double offeredRate, int latencyEvents, int latencyAccounted,
            double latencyBatchMillis, double latencyBatchSize, Latency scoredLatency, Latency visibleLatency, Latency scoringLatency,
            Latency wakeUpDelay, double stealPercent, Map<String, Latency> stageLatency, double[] segmentRates, List<RawFigure> rawBetween) {

        /** Every event of both phases came out exactly once. */
        public boolean allAccounted() {
            return scored + deadLetters == events && latencyAccounted == latencyEvents && duplicates == 0;
        }

        /**
         * Per segment, its rate ÷ the mean of the raw figures taken right before and after it; empty
         * without segments and a probe.
         */
        public double[] segmentRatios() {
            if (rawBetween.size() != segmentRates.length + 1) return new double[0];
            double[] r = new double[segmentRates.length];
            for (int k = 0; k < r.length; k++) {
                r[k] = segmentRates[k] / ((rawBetween.get(k).imagesPerSecond() + rawBetween.get(k + 1).imagesPerSecond()) / 2);
            }
            return r;
        }
    }

    /** Runs both phases and returns the figures; progress goes to {@code log}. */
    public static Result run(Settings s, PrintStream log) throws Exception {
        return run(s, log, null);
    }

    /**
     * Runs both phases and returns the figures; with {@code segments > 1}, {@code probe} (when not null)
     * runs between the segments of the throughput phase. Progress goes to {@code log}.
     */
    public static Result run(Settings s, PrintStream log, RawProbe probe) throws Exception {
        Path work = Files.createTempDirectory("siglip-e2e-bench");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(work.resolve("kafka"), 0)) {
            broker.createTopic(IMAGES, s.parallelism());
            broker.createTopic(LABELS, 1);
            broker.createTopic(DEAD, 1);
            Path labelSets = work.resolve("label-sets.yaml");
            Files.writeString(labelSets, LABEL_SETS);
            List<byte[]> images = s.smallImages() ? smallJpegs(16, 7) : List.of(cocoJpeg());
            AvroCodec<ImageEvent> codec = AvroCodec.plain(ImageEvent.class);
            String bootstrap = broker.bootstrapServers();

            try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap);
                    Reader reader = new Reader(bootstrap)) {
                boolean segmented = s.segments() > 1;
                int round = s.maxBatchSize() * s.concurrentBatches();
                int perSegment = segmented ? Math.max(round, s.events() / s.segments() / round * round) : s.events();
                int timed = perSegment * s.segments();
                // Warm-up events first, in the same partitions: the timed ones queue behind them (all of
                // them, unless segmented: then each segment once the job is idle again).
                Feed feed = new Feed(producer, codec, images);
                feed.send("w-", 0, s.warmupEvents());
                if (!segmented) {
                    feed.send("t-", 0, timed);
                }
                log.printf("e2e: %d warm-up + %d timed events (%s%s) produced to the in-process broker%n", s.warmupEvents(), timed,
                        s.smallImages() ? "64x64 generated JPEGs" : "640x480 COCO JPEG",
                        segmented ? "; the timed ones in " + s.segments() + " segments of " + perSegment + ", later" : "");

                Configuration conf = jobConfiguration(s, bootstrap, labelSets);
                // The async operator checkpoints its in-flight events, images included: a few 640x480
                // JPEGs already pass the 5 MB limit of the default JobManager checkpoint storage.
                conf.setString("execution.checkpointing.storage", "filesystem");
                conf.setString("execution.checkpointing.dir", work.resolve("checkpoints").toUri().toString());
                StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
                SiglipStreamJob.build(env, conf, Models.defaultLoader(conf));
                JobClient job = env.executeAsync("siglip-e2e-bench");
                try {
                    Throughput tp = segmented
                            ? segmentedThroughput(s, feed, perSegment, reader, job, probe, log)
                            : queuedThroughput(s, timed, reader, job);
                    Phase throughput = tp.timed();
                    Phase warmup = tp.warmup();
                    log.printf(java.util.Locale.ROOT, "e2e: throughput %.2f events/s scored, %.2f committed (%d events, %.2f s "
                            + "first-to-last output)%n", tp.rate(), tp.committedRate(), timed, throughput.seconds());

                    double offered = Math.max(0.1, tp.rate() * s.loadFraction());
                    int n = (int) Math.min(s.maxLatencyEvents(),
                            Math.max(s.minLatencyEvents(), Math.round(offered * s.latencyDuration().toNanos() / 1e9)));
                    int warm = s.latencyWarmupEvents(offered);
                    if (warm > 0) {
                        log.printf(java.util.Locale.ROOT, "e2e: latency warm-up: %d events at %.2f events/s, not timed%n", warm, offered);
                        feed.paced("lw-", warm, offered).awaitOut(reader, s.timeout(), job);
                    }
                    log.printf(java.util.Locale.ROOT, "e2e: latency phase: %d events at %.2f events/s%n", n, offered);
                    Phase latency;
                    Latency wakeUpDelay;
                    Paced sent;
                    try (StallProbe stalls = new StallProbe()) {
                        sent = feed.paced("l-", n, offered);
                        latency = sent.awaitOut(reader, s.timeout(), job);
                        wakeUpDelay = stalls.stop();
                    }
                    long[] sentMillis = sent.millis();
                    long[] sentNanos = sent.nanos();
                    double[] scoredMs = latency.each((scored, visible, i) -> scored - sentMillis[i]);
                    double[] visibleMs = latency.each((scored, visible, i) -> (visible - sentNanos[i]) / 1e6);
                    return new Result(timed, throughput.scored, throughput.dead, warmup.scored + warmup.dead,
                            reader.duplicates(),
                            throughput.seconds(), tp.rate(), tp.committedRate(), throughput.meanBatchSize(), throughput.meanBatchMillis(),
                            tp.cpuMillisPerEvent(), offered, n,
                            latency.scored + latency.dead, latency.meanBatchMillis(), latency.meanBatchSize(),
                            Latency.of(scoredMs), Latency.of(visibleMs),
                            Latency.of(latency.inScoringMillis()), wakeUpDelay, tp.stealPercent(),
                            latency.stageLatencies(), tp.segmentRates(), tp.rawBetween());
                } finally {
                    job.cancel().get();
                }
            }
        } finally {
            deleteQuietly(work);
        }
    }

    /** The throughput phase's figures, from either way of sending its events. */
    private record Throughput(Phase timed, Phase warmup, double rate, double committedRate, double cpuMillisPerEvent,
            double stealPercent, double[] segmentRates, List<RawFigure> rawBetween) {}

    /** All timed events were queued behind the warm-up before the job started: one window over them. */
    private static Throughput queuedThroughput(Settings s, int timed, Reader reader, JobClient job) throws Exception {
        Phase throughput = reader.await("t-", timed, s.timeout(), job);
        Phase warmup = reader.await("w-", s.warmupEvents(), s.timeout(), job);
        Reader.Window committed = reader.window(throughput);
        double scored = throughput.scoredRate(warmup);
        return new Throughput(throughput, warmup, Double.isNaN(scored) ? committed.rate() : scored, committed.rate(),
                committed.cpuMillisPerEvent(), committed.stealPercent(), new double[0], List.of());
    }

    /**
     * Once the warm-up is out, sends {@code s.segments()} segments of {@code perSegment} events one after
     * another, each when the job is idle, with {@code probe} (when not null) before the first and after each.
     * CPU and steal are counted from each segment's send to its last event being visible.
     */
    private static Throughput segmentedThroughput(Settings s, Feed feed, int perSegment, Reader reader, JobClient job,
            RawProbe probe, PrintStream log) throws Exception {
        Phase warmup = reader.await("w-", s.warmupEvents(), s.timeout(), job);
        double[] segmentRates = new double[s.segments()];
        List<RawFigure> rawBetween = new ArrayList<>();
        if (probe != null) rawBetween.add(probe.measure());
        Phase throughput = null;
        double cpuMillis = 0;
        double stealSeconds = 0;
        double seconds = 0;
        for (int k = 0; k < s.segments(); k++) {
            MachineSample from = MachineSample.now();
            feed.send("t-", k * perSegment, (k + 1) * perSegment);
            throughput = reader.await("t-", (k + 1) * perSegment, s.timeout(), job);
            MachineSample to = MachineSample.now();
            segmentRates[k] = throughput.scoredRate(k * perSegment, (k + 1) * perSegment);
            double sec = (to.nanos() - from.nanos()) / 1e9;
            cpuMillis += to.cpuMillisSince(from);
            stealSeconds += to.stealPercentSince(from) * sec;
            seconds += sec;
            if (probe != null) rawBetween.add(probe.measure());
            log.printf(java.util.Locale.ROOT, "e2e: segment %d: %.2f events/s scored%s%n", k + 1, segmentRates[k],
                    probe == null ? "" : String.format(java.util.Locale.ROOT, ", raw %.2f before and %.2f after",
                            rawBetween.get(k).imagesPerSecond(), rawBetween.get(k + 1).imagesPerSecond()));
        }
        return new Throughput(throughput, warmup, throughput.segmentsRate(perSegment, s.segments()),
                reader.window(throughput).rate(), cpuMillis / (perSegment * s.segments()), stealSeconds / seconds,
                segmentRates, List.copyOf(rawBetween));
    }

    /** Sends image events to the bench's input topic, cycling through {@code images}. */
    private record Feed(KafkaProducer<byte[], byte[]> producer, AvroCodec<ImageEvent> codec, List<byte[]> images) {
        /** Produces events {@code <prefix><from>} up to {@code <prefix><to - 1>}, and flushes. */
        void send(String prefix, int from, int to) {
            Instant now = Instant.now();
            for (int i = from; i < to; i++) {
                String id = prefix + i;
                ImageEvent e = ImageEvent.newBuilder().setId(id).setImage(ByteBuffer.wrap(images.get(i % images.size())))
                        .setEventTime(now).build();
                producer.send(new ProducerRecord<>(IMAGES, id.getBytes(StandardCharsets.UTF_8), codec.encode(e)));
            }
            producer.flush();
        }

        /**
         * Starts sending events {@code <prefix>0} to {@code <prefix><n - 1>} at {@code perSecond} from a
         * thread of its own, each stamped with and flushed at its send time (latency counts from the send:
         * the producer's linger must not add to it).
         */
        Paced paced(String prefix, int n, double perSecond) {
            long[] millis = new long[n];
            long[] nanos = new long[n];
            Thread thread = new Thread(() -> {
                long start = System.nanoTime();
                long period = (long) (1e9 / perSecond);
                for (int i = 0; i < n; i++) {
                    long due = start + i * period;
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    String id = prefix + i;
                    long now = System.currentTimeMillis();
                    ImageEvent e = ImageEvent.newBuilder().setId(id).setImage(ByteBuffer.wrap(images.get(i % images.size())))
                            .setEventTime(Instant.ofEpochMilli(now)).build();
                    byte[] value = codec.encode(e);
                    millis[i] = now;
                    nanos[i] = System.nanoTime();
                    producer.send(new ProducerRecord<>(IMAGES, id.getBytes(StandardCharsets.UTF_8), value));
                    producer.flush();
                }
            }, "e2e-bench-paced-producer");
            thread.setDaemon(true);
            thread.start();
            return new Paced(prefix, n, perSecond, thread, millis, nanos);
        }
    }

    /**
     * A paced send under way: its thread, and each event's send time by index (epoch milliseconds and
     * {@link System#nanoTime()}), to be read once {@link #awaitOut} returned.
     */
    private record Paced(String prefix, int n, double perSecond, Thread thread, long[] millis, long[] nanos) {
        /**
         * Waits until all {@code n} events came out (within {@code timeout} on top of the time sending
         * them takes) and the sending thread ended; returns their phase.
         */
        Phase awaitOut(Reader reader, Duration timeout, JobClient job) throws Exception {
            Phase phase = reader.await(prefix, n, timeout.plus(Duration.ofNanos((long) (n / perSecond * 1e9))), job);
            thread.join();
            return phase;
        }
    }

    static Configuration jobConfiguration(Settings s, String bootstrap, Path labelSets) {
        Configuration c = new Configuration();
        c.set(JobOptions.BOOTSTRAP_SERVERS, bootstrap);
        c.set(JobOptions.INPUT_TOPICS, List.of(IMAGES));
        c.set(JobOptions.OUTPUT_TOPIC, LABELS);
        c.set(JobOptions.DEAD_LETTER_TOPIC, DEAD);
        c.set(JobOptions.GROUP_ID, "siglip-e2e-bench");
        c.set(JobOptions.TRANSACTIONAL_ID_PREFIX, "siglip-e2e-bench");
        c.set(JobOptions.TRANSACTION_TIMEOUT, Duration.ofMinutes(30));
        c.set(JobOptions.STARTING_OFFSETS, JobOptions.StartingOffsets.EARLIEST);
        c.set(JobOptions.DELIVERY_GUARANTEE, s.exactlyOnce() ? JobOptions.Guarantee.EXACTLY_ONCE : JobOptions.Guarantee.AT_LEAST_ONCE);
        c.set(JobOptions.LABEL_SETS_FILE, labelSets.toString());
        c.set(JobOptions.MODEL, s.model());
        c.set(JobOptions.VARIANT, s.variant());
        c.set(JobOptions.INTRA_OP_THREADS, s.intraOpThreads());
        c.set(JobOptions.INTRA_OP_SPIN_WAIT, s.spinWait());
        if (s.inferenceNice() != null) {
            c.set(JobOptions.INFERENCE_NICE, s.inferenceNice());
        }
        if (s.preprocessNice() != null) {
            c.set(JobOptions.PREPROCESS_NICE, s.preprocessNice());
        }
        c.set(JobOptions.PARALLELISM, s.parallelism());
        c.set(JobOptions.CHECKPOINT_INTERVAL, s.checkpointInterval());
        c.set(JobOptions.MAX_BATCH_SIZE, s.maxBatchSize());
        c.set(JobOptions.MAX_BATCH_DELAY, s.maxBatchDelay());
        c.set(JobOptions.BATCH_DISPATCH_WHEN_IDLE, s.dispatchWhenIdle());
        c.set(JobOptions.BATCH_CONCURRENCY, s.concurrentBatches());
        c.set(JobOptions.PREPROCESS_THREADS, s.preprocessThreads());
        c.set(JobOptions.ASYNC_CAPACITY, s.asyncCapacity());
        c.set(JobOptions.ASYNC_MODE, JobOptions.AsyncMode.UNORDERED);
        c.set(JobOptions.ASYNC_TIMEOUT, s.timeout());
        c.setString("restart-strategy.type", "none");
        c.setString("execution.buffer-timeout.interval", s.bufferTimeout().toMillis() + " ms");
        // One slot per subtask and nothing else: the cores belong to preprocessing and ONNX Runtime.
        c.setString("taskmanager.numberOfTaskSlots", String.valueOf(s.parallelism()));
        return c;
    }

    /**
     * What one phase saw, per event index (the number in its id {@code <prefix>-<index>}): when it
     * was scored (wall ms) and when it became visible (nanoTime). Primitive arrays, not maps: the
     * bench shares its JVM with the job, and maps of boxed entries kept for the whole run were copied
     * by young collections until promoted, in the job's heap.
     */
    private static final class Phase {
        private final java.util.BitSet seen = new java.util.BitSet();
        private long[] scoredAt = new long[1024];
        private long[] visibleAt = new long[1024];
        /** Per scored event, milliseconds inside the scoring operator (its {@code total} timing). */
        private final Samples inScoring = new Samples();
        /** Per scored event and stage of {@link #STAGES}, milliseconds in that stage. */
        private final Map<String, Samples> stages = new java.util.LinkedHashMap<>();
        int scored;
        int dead;
        long firstVisible;
        long lastVisible;
        /** Sums over scored images of (batch time ÷ b), 1 and 1/b: sums over their batches. */
        double batchNanos;
        double batchImages;
        double batches;

        /** Records event {@code index} as visible at {@code now}; false when it was seen before. */
        boolean firstSighting(int index, long now) {
            if (seen.get(index)) return false;
            seen.set(index);
            if (index >= scoredAt.length) {
                int size = Math.max(index + 1, scoredAt.length * 2);
                scoredAt = Arrays.copyOf(scoredAt, size);
                visibleAt = Arrays.copyOf(visibleAt, size);
            }
            visibleAt[index] = now;
            return true;
        }

        void scoredAt(int index, long epochMillis) {
            scoredAt[index] = epochMillis;
        }

        void timings(Map<String, Long> micros) {
            Long total = micros.get("total");
            if (total != null) inScoring.add(total / 1000.0);
            for (String stage : STAGES) {
                Long v = micros.get(stage);
                if (v != null) stages.computeIfAbsent(stage, k -> new Samples()).add(v / 1000.0);
            }
        }

        double[] inScoringMillis() {
            return inScoring.toArray();
        }

        /** Percentiles of each stage that the events reported, in {@link #STAGES} order. */
        Map<String, Latency> stageLatencies() {
            Map<String, Latency> out = new java.util.LinkedHashMap<>();
            for (String stage : STAGES) {
                Samples v = stages.get(stage);
                if (v != null) out.put(stage, Latency.of(v.toArray()));
            }
            return out;
        }

        /** {@code f(scoredAt, visibleAt, index)} of each event seen, in index order. */
        double[] each(SeenEvent f) {
            double[] out = new double[seen.cardinality()];
            int k = 0;
            for (int i = seen.nextSetBit(0); i >= 0; i = seen.nextSetBit(i + 1)) {
                out[k++] = f.value(scoredAt[i], visibleAt[i], i);
            }
            return out;
        }

        double seconds() {
            return (lastVisible - firstVisible) / 1e9;
        }

        /**
         * Events scored in this phase's window, after its first batch, per second of the window: from
         * the first scoring of one of its events to the last ({@code processedAt}, when the job handed
         * each to the sink writer). Events of the {@code others} phases scored in the window count too:
         * batches mix warm-up and timed events, and the job did that work in the window. Unlike the
         * committed output, which comes in bursts at checkpoints, this has the resolution of one
         * batch. NaN when all events were scored at once.
         */
        double scoredRate(Phase... others) {
            return rate(scoredTimes(), others);
        }

        /** {@link #scoredRate} of the events with index {@code from} to {@code to - 1} alone. */
        double scoredRate(int from, int to) {
            return rate(scoredTimes(from, to));
        }

        /**
         * Over segments of {@code perSegment} events each: the events counted by each segment's
         * {@link #scoredRate(int, int)} ÷ the sum of their windows (the idle time between segments is
         * in no window).
         */
        double segmentsRate(int perSegment, int segments) {
            double counted = 0;
            double seconds = 0;
            for (int k = 0; k < segments; k++) {
                double[] times = scoredTimes(k * perSegment, (k + 1) * perSegment);
                double rate = rate(times);
                if (Double.isNaN(rate)) continue;
                double window = (Arrays.stream(times).max().getAsDouble() - Arrays.stream(times).min().getAsDouble()) / 1000.0;
                counted += rate * window;
                seconds += window;
            }
            return seconds > 0 ? counted / seconds : Double.NaN;
        }

        /** See {@link #scoredRate(Phase...)}: {@code mine} are this phase's scoring times in the window. */
        private double rate(double[] mine, Phase... others) {
            if (mine.length == 0) return Double.NaN;
            double first = Arrays.stream(mine).min().getAsDouble();
            double last = Arrays.stream(mine).max().getAsDouble();
            // The first batch's events are scored within a fraction of a batch time of each other.
            double firstBatchEnd = first + Math.max(1.0, Double.isNaN(meanBatchMillis()) ? 1.0 : meanBatchMillis() / 2);
            List<double[]> all = new java.util.ArrayList<>();
            all.add(mine);
            for (Phase p : others) all.add(p.scoredTimes());
            int counted = 0;
            for (double[] times : all) {
                for (double t : times) {
                    if (t > firstBatchEnd && t <= last) counted++;
                }
            }
            return last > first && counted > 0 ? counted / ((last - first) / 1000.0) : Double.NaN;
        }

        /** When each event seen was scored, wall milliseconds. */
        private double[] scoredTimes() {
            return each((scored, visible, i) -> scored);
        }

        /** When each event seen with index {@code from} to {@code to - 1} was scored, wall milliseconds. */
        private double[] scoredTimes(int from, int to) {
            double[] out = new double[seen.get(from, to).cardinality()];
            int k = 0;
            for (int i = seen.nextSetBit(from); i >= 0 && i < to; i = seen.nextSetBit(i + 1)) {
                out[k++] = scoredAt[i];
            }
            return out;
        }

        /** Images per inference batch: images ÷ batches (an image of a batch of b counts 1/b of a batch). */
        double meanBatchSize() {
            return batches == 0 ? Double.NaN : batchImages / batches;
        }

        /** Mean inference time of one batch, in milliseconds. */
        double meanBatchMillis() {
            return batches == 0 ? Double.NaN : batchNanos / 1e6 / batches;
        }
    }

    /**
     * A thread that sleeps 1 ms at a time and records how late it wakes: how long a ready thread of
     * this process waits for a core. It sleeps nearly all the time, so it adds next to no load.
     */
    private static final class StallProbe implements AutoCloseable {
        private static final long SLEEP_NANOS = 1_000_000;
        private final Thread thread = new Thread(this::loop, "e2e-bench-stall-probe");
        private volatile boolean stopped;
        private double[] lateMillis = new double[4096];
        private int count;

        StallProbe() {
            thread.setDaemon(true);
            thread.start();
        }

        private void loop() {
            while (!stopped) {
                long t0 = System.nanoTime();
                LockSupport.parkNanos(SLEEP_NANOS);
                long late = System.nanoTime() - t0 - SLEEP_NANOS;
                if (count == lateMillis.length) lateMillis = Arrays.copyOf(lateMillis, count * 2);
                lateMillis[count++] = Math.max(0, late) / 1e6;
            }
        }

        /** Stops the probe and returns how late it woke, in milliseconds. */
        Latency stop() throws InterruptedException {
            stopped = true;
            thread.join();
            return Latency.of(Arrays.copyOf(lateMillis, count));
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }

    /** The scoring operator's stages, in order, as its output events name them in {@code timings}. */
    public static final List<String> STAGES = List.of("queue", "fetch", "preprocess", "batchWait", "inference", "scoreWait");

    /** A growable array of doubles. */
    private static final class Samples {
        private double[] v = new double[1024];
        private int n;

        void add(double x) {
            if (n == v.length) v = Arrays.copyOf(v, n * 2);
            v[n++] = x;
        }

        double[] toArray() {
            return Arrays.copyOf(v, n);
        }
    }

    @FunctionalInterface
    private interface SeenEvent {
        double value(long scoredAtMillis, long visibleAtNanos, int index);
    }

    /** A read_committed consumer of the output and dead-letter topics, shared by both phases. */
    private static final class Reader implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final AvroCodec<LabelScoreEvent> scores = AvroCodec.plain(LabelScoreEvent.class);
        private final AvroCodec<DeadLetter> deadLetters = AvroCodec.plain(DeadLetter.class);
        private final Map<String, Phase> phases = new HashMap<>();
        private int duplicates;
        /** Each poll that returned records: when, and the new distinct ids in it. */
        private final List<Poll> polls = new java.util.ArrayList<>();

        private static final class Poll {
            final MachineSample at;
            int newIds;

            Poll(MachineSample at) {
                this.at = at;
            }
        }

        /** What became visible between a phase's first and last visible poll. */
        record Window(int events, double seconds, long cpuNanos, double stealPercent) {
            /** Events visible after the first poll (whose batch had no measured time) per second. */
            double rate() {
                return events > 0 && seconds > 0 ? events / seconds : Double.NaN;
            }

            /** Process CPU milliseconds per event counted in {@link #rate()}. */
            double cpuMillisPerEvent() {
                return events > 0 ? cpuNanos / 1e6 / events : Double.NaN;
            }
        }

        /** Events of any phase that became visible in {@code phase}'s window, after its first poll. */
        Window window(Phase phase) {
            int events = 0;
            MachineSample first = null;
            MachineSample last = null;
            for (Poll p : polls) {
                if (p.at.nanos() == phase.firstVisible) first = p.at;
                if (p.at.nanos() > phase.firstVisible && p.at.nanos() <= phase.lastVisible) {
                    events += p.newIds;
                    last = p.at;
                }
            }
            boolean both = first != null && last != null;
            return new Window(events, phase.seconds(), both ? last.processCpuNanos() - first.processCpuNanos() : 0,
                    both ? last.stealPercentSince(first) : Double.NaN);
        }

        Reader(String bootstrap) {
            Properties p = new Properties();
            p.put("bootstrap.servers", bootstrap);
            p.put("group.id", "siglip-e2e-bench-reader");
            p.put("auto.offset.reset", "earliest");
            p.put("isolation.level", "read_committed");
            p.put("max.poll.records", "5000");
            consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            consumer.subscribe(List.of(LABELS, DEAD));
        }

        /** Polls until {@code count} distinct ids with {@code prefix} were seen, the timeout passed, or the job stopped. */
        Phase await(String prefix, int count, Duration timeout, JobClient job) throws Exception {
            Phase phase = phases.computeIfAbsent(prefix, k -> new Phase());
            long deadline = System.nanoTime() + timeout.toNanos();
            long lastStatusCheck = 0;
            while (phase.scored + phase.dead < count) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("end-to-end bench: only " + (phase.scored + phase.dead) + " of " + count
                            + " '" + prefix + "' events came out within " + timeout);
                }
                if (System.nanoTime() - lastStatusCheck > 1_000_000_000L) {
                    lastStatusCheck = System.nanoTime();
                    if (job.getJobStatus().get().isTerminalState()) {
                        job.getJobExecutionResult().get();
                        throw new IllegalStateException("the benchmark job stopped with " + (phase.scored + phase.dead)
                                + " of " + count + " events out");
                    }
                }
                var records = consumer.poll(Duration.ofMillis(20));
                Poll poll = records.isEmpty() ? null : new Poll(MachineSample.now());
                long now = poll == null ? System.nanoTime() : poll.at.nanos();
                if (poll != null) {
                    polls.add(poll);
                }
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    byte[] key = r.key();
                    int dash = indexOf(key, (byte) '-');
                    Phase owner = phases.computeIfAbsent(new String(key, 0, dash + 1, StandardCharsets.UTF_8), k -> new Phase());
                    int index = parseIndex(key, dash + 1);
                    if (!owner.firstSighting(index, now)) {
                        duplicates++;
                        continue;
                    }
                    poll.newIds++;
                    if (owner.scored + owner.dead == 0) {
                        owner.firstVisible = now;
                    }
                    owner.lastVisible = now;
                    if (r.topic().equals(DEAD)) {
                        owner.dead++;
                        DeadLetter d = deadLetters.decode(r.value());
                        owner.scoredAt(index, d.getTime().toEpochMilli());
                    } else {
                        owner.scored++;
                        LabelScoreEvent e = scores.decode(r.value());
                        owner.scoredAt(index, e.getProcessedAt().toEpochMilli());
                        Long batch = e.getTimings().get("batchSize");
                        owner.timings(e.getTimings());
                        Long inference = e.getTimings().get("inference");
                        if (batch != null && inference != null && batch > 0) {
                            // Each image carries 1/b of its batch, so sums over images are sums over batches.
                            owner.batches += 1.0 / batch;
                            owner.batchNanos += inference * 1000.0 / batch;
                            owner.batchImages++;
                        }
                    }
                }
            }
            return phase;
        }

        /** Records that repeated an id already seen (exactly-once allows none). */
        int duplicates() {
            return duplicates;
        }

        private static int indexOf(byte[] key, byte b) {
            for (int i = 0; i < key.length; i++) {
                if (key[i] == b) return i;
            }
            throw new IllegalStateException("not a benchmark event id: " + new String(key, StandardCharsets.UTF_8));
        }

        private static int parseIndex(byte[] key, int from) {
            int n = 0;
            for (int i = from; i < key.length; i++) {
                int d = key[i] - '0';
                if (d < 0 || d > 9 || i - from > 9) {
                    throw new IllegalStateException("not a benchmark event id: " + new String(key, StandardCharsets.UTF_8));
                }
                n = n * 10 + d;
            }
            return n;
        }

        @Override
        public void close() {
            consumer.close();
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("max.request.size", String.valueOf(EmbeddedKafkaBroker.MAX_MESSAGE_BYTES));
        p.put("linger.ms", "5");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** The bundled 640×480 COCO photo ({@code /bench/coco-640x480.jpg}). */
    public static byte[] cocoJpeg() throws IOException {
        try (var in = EndToEndBench.class.getResourceAsStream("/bench/coco-640x480.jpg")) {
            if (in == null) throw new IOException("bundled benchmark image /bench/coco-640x480.jpg is missing");
            return in.readAllBytes();
        }
    }

    /** {@code count} distinct 64×64 JPEGs of a few coloured shapes. */
    static List<byte[]> smallJpegs(int count, long seed) {
        return PreprocessBench.shapeImages(count, seed, i -> "jpg");
    }

    /** Peak resident set size of this process in bytes (VmHWM), or -1 where /proc is not there. */
    public static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static void deleteQuietly(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // a temp folder left behind is harmless
                }
            });
        } catch (IOException ignored) {
            // same
        }
    }

}
