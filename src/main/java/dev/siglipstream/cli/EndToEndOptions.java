package dev.siglipstream.cli;

import dev.siglipstream.bench.EndToEndBench;
import java.time.Duration;
import org.apache.flink.util.TimeUtils;
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
            description = "Events of the throughput phase; 0 = about 40 s at the best raw rate (100..20000; 200 with --quick).")
    int events;

    @Option(names = "--e2e-batch-size", defaultValue = "0", paramLabel = "N",
            description = "The job's max batch size; 0 = the batch size with the best raw images/s.")
    int batchSize;

    @Option(names = "--e2e-max-delay", defaultValue = "10ms", paramLabel = "DURATION",
            description = "The job's max batch delay. Default: ${DEFAULT-VALUE}.")
    String maxDelay;

    @Option(names = "--e2e-checkpoint-interval", defaultValue = "200ms", paramLabel = "DURATION",
            description = "Checkpoint interval: exactly-once output becomes visible at checkpoints. Default: ${DEFAULT-VALUE}.")
    String checkpointInterval;

    @Option(names = "--e2e-buffer-timeout", defaultValue = "5ms", paramLabel = "DURATION",
            description = "Flink's execution.buffer-timeout.interval (Flink's default 100ms adds up to 100 ms per hop). "
                    + "Default: ${DEFAULT-VALUE}.")
    String bufferTimeout;

    @Option(names = "--parallelism", defaultValue = "1", description = "Job parallelism (slots). Default: ${DEFAULT-VALUE}.")
    int parallelism;

    @Option(names = "--preprocess-threads", defaultValue = "2",
            description = "The job's preprocessing threads. Default: ${DEFAULT-VALUE}.")
    int preprocessThreads;

    @Option(names = "--async-capacity", defaultValue = "0",
            description = "In-flight images per subtask; 0 = four batches. Default: ${DEFAULT-VALUE}.")
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

    /** Settings for the job, given the best raw rate and its batch size. */
    EndToEndBench.Settings settings(String model, String variant, int intraOpThreads, boolean spinWait, double bestRaw, int bestBatch) {
        int n = events > 0 ? events
                : quick ? 200 : (int) Math.max(100, Math.min(20_000, Math.round(Double.isNaN(bestRaw) ? 1000 : bestRaw * 40)));
        return EndToEndBench.Settings.builder(model)
                .variant(variant)
                .events(n)
                .smallImages(smallImages)
                .maxBatchSize(batchSize > 0 ? batchSize : bestBatch)
                .maxBatchDelay(TimeUtils.parseDuration(maxDelay))
                .checkpointInterval(TimeUtils.parseDuration(checkpointInterval))
                .bufferTimeout(TimeUtils.parseDuration(bufferTimeout))
                .parallelism(parallelism)
                .intraOpThreads(intraOpThreads)
                .spinWait(spinWait)
                .preprocessThreads(preprocessThreads)
                .asyncCapacity(asyncCapacity)
                .exactlyOnce(!atLeastOnce)
                .loadFraction(latencyLoad)
                .latencyDuration(Duration.ofMillis((long) ((quick ? 2 : latencySeconds) * 1000)))
                .minLatencyEvents(quick ? 20 : 30)
                .maxLatencyEvents(quick ? 200 : 100_000)
                .build();
    }
}
