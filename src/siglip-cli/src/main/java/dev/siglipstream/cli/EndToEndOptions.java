package dev.siglipstream.cli;

import dev.siglipstream.bench.EndToEndBench;
import dev.siglipstream.stream.model.ModelSpec;
import dev.siglipstream.stream.options.JobArguments;
import java.time.Duration;
import org.apache.flink.util.TimeUtils;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The end-to-end part of {@code siglip bench}: the real job path, in-process broker to broker. */
final class EndToEndOptions {
    @Option(names = "--end-to-end", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also run the job end to end (in-process Kafka -> job -> Kafka, exactly-once). Default: ${DEFAULT-VALUE}.")
    boolean endToEnd;

    @Option(names = "--quick", description = "Small and fast, for tests: 1 timed run of 0.2 s per figure, 200 events, "
            + "a 2 s latency phase of at most 200 events. Its rates are rough.")
    boolean quick;

    @Option(names = "--events", defaultValue = "0", paramLabel = "N",
            description = "Events of the throughput phase; 0 = about 40 s at the best raw rate, at least 6 batches and 5 "
                    + "rounds of batches per segment (100..60000; 200 with --quick).")
    int events;

    @Option(names = "--warmup-events", defaultValue = "-1", paramLabel = "N",
            description = "Events sent ahead of the timed ones, so the JIT (Flink, Kafka and this code: it keeps compiling "
                    + "for tens of seconds on 2 cores), the session and the transactions are warm; -1 = a quarter of "
                    + "--events or about 30 s at the best raw rate, whichever is more (at most 100000; a quarter with --quick).")
    int warmupEvents;

    @Option(names = "--e2e-batch-size", defaultValue = "0", paramLabel = "N",
            description = "The job's max batch size; 0 = the batch size with the best raw images/s, the figure that "
                    + "end-to-end/raw divides by.")
    int batchSize;

    @Option(names = "--e2e-max-delay", defaultValue = "10ms", paramLabel = "DURATION",
            description = "The job's max batch delay. Default: ${DEFAULT-VALUE}.")
    String maxDelay;

    @Option(names = "--e2e-checkpoint-interval", defaultValue = "auto", paramLabel = "DURATION",
            description = "Checkpoint interval: exactly-once output becomes visible at checkpoints. 'auto' = 200ms, or two "
                    + "batch times at the best raw rate when that is longer (at most the job's default, 10s): each "
                    + "checkpoint writes every in-flight image, so a slow model checkpointing every 200 ms measures "
                    + "checkpoint I/O, not the model. Default: ${DEFAULT-VALUE}.")
    String checkpointInterval;

    @Option(names = "--e2e-buffer-timeout", defaultValue = "5ms", paramLabel = "DURATION",
            description = "Flink's execution.buffer-timeout.interval (Flink's default 100ms adds up to 100 ms per hop). "
                    + "Default: ${DEFAULT-VALUE}.")
    String bufferTimeout;

    @Option(names = "--e2e-dispatch-when-idle", description = "The job starts a batch as soon as the model is idle "
            + "(siglip.batch.dispatch-when-idle) instead of waiting for the max delay.")
    boolean dispatchWhenIdle;

    @Option(names = "--parallelism", defaultValue = "1", description = "Job parallelism (slots). Default: ${DEFAULT-VALUE}.")
    int parallelism;

    @Option(names = "--preprocess-threads", defaultValue = "2",
            description = "The job's preprocessing threads. Default: ${DEFAULT-VALUE}.")
    int preprocessThreads;

    @Option(names = "--e2e-intra-op-threads", defaultValue = "-1", paramLabel = "N",
            description = "ONNX Runtime intra-op threads of the job's session; -1 = as --threads (the raw figures' setting). "
                    + "On a CPU that also decodes, resizes and runs Kafka, fewer than the cores can be faster: each parallel "
                    + "section waits for its slowest thread, and a preempted one stalls the rest.")
    int intraOpThreads;

    @Option(names = "--e2e-segments", defaultValue = "0", paramLabel = "N",
            description = "Splits the timed events into N segments, sent one after another once the job is idle, with a raw "
                    + "figure (the best raw layout and batch size, same session settings) measured before the first and "
                    + "after each: each segment's rate is divided by the mean of the raw figures on either side of it, "
                    + "seconds away, so a machine whose speed drifts moves both alike (a shared machine's raw rate moves "
                    + "by a fifth within minutes); end-to-end/raw is the median of those ratios. 1 = one batch of events "
                    + "sent before the job starts, the ratio taken against the best raw figure or the one measured again "
                    + "after the run, whichever is higher. Default: 3 (1 with --quick).")
    int segments;

    @Option(names = "--e2e-concurrent-batches", defaultValue = "0", paramLabel = "N",
            description = "Batches the job runs at once (siglip.batch.concurrency); 0 = as the best raw layout "
                    + "(see --concurrent-batches). Default: ${DEFAULT-VALUE}.")
    int concurrentBatches;

    @Option(names = "--e2e-inference-nice", paramLabel = "N",
            description = "Linux nice value of the job's inference thread and ONNX Runtime's threads "
                    + "(siglip.model.inference-nice), e.g. -10 to give the model a core ahead of preprocessing, Kafka and "
                    + "Flink; below 0 needs root or CAP_SYS_NICE. Default: left alone.")
    Integer inferenceNice;

    @Option(names = "--e2e-preprocess-nice", paramLabel = "N",
            description = "Linux nice value of the job's preprocessing threads, which also rank and encode the results "
                    + "(siglip.preprocess.nice), e.g. -5 beside --e2e-inference-nice -10. Default: left alone.")
    Integer preprocessNice;

    @Option(names = "--async-capacity", defaultValue = "0",
            description = "In-flight images per subtask; 0 = four batches per batch running at once. Default: ${DEFAULT-VALUE}.")
    int asyncCapacity;

    @Option(names = "--small-images", description = "Send 64x64 generated JPEGs instead of the 640x480 COCO photo.")
    boolean smallImages;

    @Option(names = "--at-least-once", description = "At-least-once sink instead of exactly-once.")
    boolean atLeastOnce;

    @Option(names = "--latency-load", defaultValue = "0.5",
            description = "Offered load of the latency phase, as a fraction of the measured end-to-end rate. Default: ${DEFAULT-VALUE}.")
    double latencyLoad;

    @Option(names = "--latency-seconds", defaultValue = "15", description = "Length of the latency phase (2 with --quick). Default: ${DEFAULT-VALUE}.")
    double latencySeconds;

    @Option(names = "--latency-warmup-seconds", defaultValue = "15",
            description = "Paced events at the latency phase's rate sent first and not timed (1 s with --quick): the throughput "
                    + "phase warms up large batches, not the one-event fetches, requests and batches of a paced stream. "
                    + "Default: ${DEFAULT-VALUE}.")
    double latencyWarmupSeconds;

    /**
     * Refuses a bad value before any figure runs, naming its flag: the raw sweep ahead of the job can
     * take minutes, and the job's own checks name settings, not flags. Picocli prints the message
     * and the usage, and the command exits with 2.
     */
    void check(CommandLine cli) {
        refuseUnless(cli, events == 0 || events >= 2, "--events must be 0 (about 40 s at the best raw rate) or >= 2, got " + events);
        refuseUnless(cli, warmupEvents >= -1, "--warmup-events must be -1 (auto) or >= 0, got " + warmupEvents);
        refuseUnless(cli, batchSize >= 0, "--e2e-batch-size must be 0 (the best raw batch size) or >= 1, got " + batchSize);
        duration(cli, "--e2e-max-delay", maxDelay);
        duration(cli, "--e2e-buffer-timeout", bufferTimeout);
        if (!"auto".equalsIgnoreCase(checkpointInterval.trim())) {
            refuseUnless(cli, duration(cli, "--e2e-checkpoint-interval", checkpointInterval).toMillis() >= 10,
                    "--e2e-checkpoint-interval must be 'auto' or at least 10ms (Flink's least), got " + checkpointInterval);
        }
        refuseUnless(cli, parallelism >= 1, "--parallelism must be >= 1, got " + parallelism);
        refuseUnless(cli, preprocessThreads >= 1, "--preprocess-threads must be >= 1, got " + preprocessThreads);
        refuseUnless(cli, intraOpThreads >= -1, "--e2e-intra-op-threads must be -1 (as --threads), 0 (ONNX Runtime's choice) or more, got "
                + intraOpThreads);
        refuseUnless(cli, segments >= 0, "--e2e-segments must be 0 (3, or 1 with --quick) or >= 1, got " + segments);
        refuseUnless(cli, concurrentBatches >= 0, "--e2e-concurrent-batches must be 0 (as the best raw layout) or >= 1, got "
                + concurrentBatches);
        refuseUnless(cli, ModelSpec.isNiceValue(inferenceNice),
                "--e2e-inference-nice must be a nice value from -20 to 19, got " + inferenceNice);
        refuseUnless(cli, ModelSpec.isNiceValue(preprocessNice),
                "--e2e-preprocess-nice must be a nice value from -20 to 19, got " + preprocessNice);
        refuseUnless(cli, asyncCapacity >= 0, "--async-capacity must be 0 (four batches per batch at once) or >= 1, got " + asyncCapacity);
        refuseUnless(cli, latencyLoad > 0 && latencyLoad <= 1, "--latency-load must be in (0, 1], got " + latencyLoad);
        refuseUnless(cli, latencySeconds > 0 && latencySeconds <= 3600, "--latency-seconds must be in (0, 3600], got " + latencySeconds);
        refuseUnless(cli, latencyWarmupSeconds >= 0 && latencyWarmupSeconds <= 3600,
                "--latency-warmup-seconds must be in [0, 3600], got " + latencyWarmupSeconds);
    }

    static void refuseUnless(CommandLine cli, boolean ok, String message) {
        if (!ok) {
            throw new CommandLine.ParameterException(cli, message);
        }
    }

    /** As the job's own flags read a duration. */
    private static Duration duration(CommandLine cli, String flag, String value) {
        try {
            return JobArguments.duration(flag, value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cli, e.getMessage());
        }
    }

    /** Settings for the job, given the best raw layout (intra-op threads, batches at once), its best rate and batch size. */
    EndToEndBench.Settings settings(String model, String variant, int rawIntraOpThreads, int rawConcurrentBatches, boolean spinWait,
            double bestRaw, int bestBatch) {
        int batch = batchSize > 0 ? batchSize : bestBatch;
        double raw = Double.isNaN(bestRaw) ? 25 : bestRaw;
        int concurrent = concurrentBatches > 0 ? concurrentBatches : rawConcurrentBatches;
        int segmentCount = segments > 0 ? segments : quick ? 1 : 3;
        // Enough for 6 batches, and for 5 rounds of batches per segment: the first round of each is not
        // timed, and the last may leave a thread idle while another finishes.
        long fewest = Math.max(6L * batch, (long) segmentCount * 5 * batch * concurrent);
        int n = events > 0 ? events
                : quick ? 200 : (int) Math.max(100, Math.min(60_000, Math.max(fewest, Math.round(raw * 40))));
        int warmup = warmupEvents >= 0 ? warmupEvents
                : quick ? n / 4 : (int) Math.min(100_000, Math.max(n / 4, Math.round(raw * 30)));
        Duration checkpoints;
        if ("auto".equalsIgnoreCase(checkpointInterval.trim())) {
            long twoBatchesMs = Math.round(2 * batch / raw * 1000);
            checkpoints = Duration.ofMillis(Math.max(200, Math.min(10_000, twoBatchesMs)));
        } else {
            checkpoints = TimeUtils.parseDuration(checkpointInterval);
        }
        return EndToEndBench.Settings.builder(model)
                .variant(variant)
                .events(n)
                .warmupEvents(warmup)
                .smallImages(smallImages)
                .maxBatchSize(batch)
                .maxBatchDelay(TimeUtils.parseDuration(maxDelay))
                .dispatchWhenIdle(dispatchWhenIdle)
                .checkpointInterval(checkpoints)
                .bufferTimeout(TimeUtils.parseDuration(bufferTimeout))
                .parallelism(parallelism)
                .intraOpThreads(intraOpThreads >= 0 ? intraOpThreads : rawIntraOpThreads)
                .concurrentBatches(concurrent)
                .spinWait(spinWait)
                .inferenceNice(inferenceNice)
                .preprocessThreads(preprocessThreads)
                .preprocessNice(preprocessNice)
                .asyncCapacity(asyncCapacity)
                .exactlyOnce(!atLeastOnce)
                .loadFraction(latencyLoad)
                .latencyWarmup(Duration.ofMillis((long) ((quick ? Math.min(1, latencyWarmupSeconds) : latencyWarmupSeconds) * 1000)))
                .latencyDuration(Duration.ofMillis((long) ((quick ? 2 : latencySeconds) * 1000)))
                .minLatencyEvents(quick ? 20 : 30)
                .maxLatencyEvents(quick ? 200 : 100_000)
                .segments(segmentCount)
                .build();
    }
}
