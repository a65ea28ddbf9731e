package dev.siglipstream.stream.operator;

import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.stream.metrics.JobMetrics;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

/**
 * Counts what reaches the sink — {@code scored} and {@code deadLettered} per reason — in one place,
 * chained to the sink, so retried attempts and timeouts are counted once, as they are written.
 */
public final class OutputMetrics extends RichMapFunction<Output, Output> {
    private static final long serialVersionUID = 1L;

    private transient JobMetrics metrics;

    @Override
    public void open(OpenContext openContext) {
        metrics = new JobMetrics(getRuntimeContext().getMetricGroup());
    }

    @Override
    public Output map(Output out) {
        if (out.isDeadLetter()) {
            metrics.deadLettered(DeadLetterReason.valueOf(out.deadLetterReason()));
        } else {
            metrics.scored();
        }
        return out;
    }
}
