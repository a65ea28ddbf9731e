package dev.siglipstream.stream.metrics;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * The job's metrics, all under the {@code siglip} group of an operator: counters {@code eventsIn}
 * and {@code labelSetUpdatesRefused} (resolver),
 * {@code scored}, {@code deadLettered} (total) and {@code deadLetters.<REASON>} (counted once,
 * before the sink); histograms
 * {@code batchSize}, {@code batchLatencyMs} and {@code preprocessLatencyMs}; gauges
 * {@code queueDepth}, {@code modelLoadTimeMs}, {@code executionProvider}, {@code cpuFallback} and
 * {@code labelSetVersions}.
 *
 * <p>Thread-safe: the scoring operator records from its pool threads. Each update takes this
 * object's lock, as Flink's counters and histograms are not thread-safe themselves.
 */
public final class JobMetrics {
    /** The metric group name. */
    public static final String GROUP = "siglip";
    private static final int HISTOGRAM_WINDOW = 1024;

    private final MetricGroup group;
    private Counter eventsIn;
    private Counter scored;
    private Counter deadLettered;
    private Counter updatesRefused;
    private final Map<String, Counter> byReason = new HashMap<>();
    private Histogram batchSize;
    private Histogram batchLatency;
    private Histogram preprocessLatency;

    public JobMetrics(MetricGroup operatorGroup) {
        this.group = operatorGroup.addGroup(GROUP);
    }

    public synchronized void eventsIn() {
        if (eventsIn == null) {
            eventsIn = group.counter("eventsIn");
        }
        eventsIn.inc();
    }

    /** A control-topic update refused as invalid (counted once, by subtask 0). */
    public synchronized void labelSetUpdateRefused() {
        if (updatesRefused == null) {
            updatesRefused = group.counter("labelSetUpdatesRefused");
        }
        updatesRefused.inc();
    }

    public synchronized void scored() {
        if (scored == null) {
            scored = group.counter("scored");
        }
        scored.inc();
    }

    /** One dead letter written, counted in total and under its reason's name (a dead-letter reason symbol). */
    public synchronized void deadLettered(String reason) {
        if (deadLettered == null) {
            deadLettered = group.counter("deadLettered");
        }
        deadLettered.inc();
        byReason.computeIfAbsent(reason, r -> group.addGroup("deadLetters").counter(r)).inc();
    }

    public synchronized void batch(int size, long latencyNanos) {
        if (batchSize == null) {
            batchSize = group.histogram("batchSize", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
            batchLatency = group.histogram("batchLatencyMs", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        }
        batchSize.update(size);
        batchLatency.update(latencyNanos / 1_000_000);
    }

    public synchronized void preprocessed(long nanos) {
        if (preprocessLatency == null) {
            preprocessLatency = group.histogram("preprocessLatencyMs", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        }
        preprocessLatency.update(nanos / 1_000_000);
    }

    public void model(LongSupplier queueDepth, long loadTimeMs, String provider, boolean cpuFallback) {
        group.gauge("queueDepth", (Gauge<Long>) queueDepth::getAsLong);
        group.gauge("modelLoadTimeMs", (Gauge<Long>) () -> loadTimeMs);
        group.gauge("executionProvider", (Gauge<String>) () -> provider);
        group.gauge("cpuFallback", (Gauge<Integer>) () -> cpuFallback ? 1 : 0);
    }

    /** A gauge of each label set's version (negative once deleted), as {@code id=version,...}. */
    public void labelSetVersions(Map<String, Long> versions) {
        Supplier<String> s = () -> new TreeMap<>(versions).toString();
        group.gauge("labelSetVersions", (Gauge<String>) s::get);
    }
}
