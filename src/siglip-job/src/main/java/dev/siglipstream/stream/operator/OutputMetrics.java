package dev.siglipstream.stream.operator;

import dev.siglipstream.stream.metrics.JobMetrics;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last step before the sink, chained to it: replaces an output larger than the sink's
 * {@code max.request.size} with an OUTPUT_TOO_LARGE dead letter (which always fits, see
 * {@link Codecs#maxDeadLetterBytes()}), so no record can fail the sink's task and replay forever;
 * then counts what reaches the sink — {@code scored} and {@code deadLettered} per reason — in one
 * place, so retried attempts and timeouts are counted once, as they are written.
 */
public final class OutputMetrics extends RichMapFunction<Output, Output> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(OutputMetrics.class);

    private final Codecs codecs;
    private final int maxRecordBytes;
    private transient JobMetrics metrics;

    /**
     * @param codecs writes the OUTPUT_TOO_LARGE dead letters
     * @param maxRecordBytes the sink producer's {@code max.request.size}
     */
    public OutputMetrics(Codecs codecs, int maxRecordBytes) {
        this.codecs = codecs;
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public void open(OpenContext openContext) {
        metrics = new JobMetrics(getRuntimeContext().getMetricGroup());
    }

    @Override
    public Output map(Output out) {
        Output written = bound(out);
        if (written.isDeadLetter()) {
            metrics.deadLettered(written.deadLetterReason());
        } else {
            metrics.scored();
        }
        return written;
    }

    /** {@code out}, or the OUTPUT_TOO_LARGE dead letter that replaces it when the sink would refuse it. */
    Output bound(Output out) {
        int size = OutputSerializer.serializedSize(out);
        if (size <= maxRecordBytes) {
            return out;
        }
        Output replaced = codecs.outputTooLarge(out, size, maxRecordBytes);
        LOG.warn("An output for {} was {} bytes, over max.request.size {}: written as an OUTPUT_TOO_LARGE dead letter",
                out.topic(), size, maxRecordBytes);
        return replaced;
    }
}
