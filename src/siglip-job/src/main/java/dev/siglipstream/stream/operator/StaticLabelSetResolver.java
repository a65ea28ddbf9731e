package dev.siglipstream.stream.operator;

import dev.siglipstream.stream.labels.LabelSet;
import dev.siglipstream.stream.labels.LabelSetResolution;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The resolver of a job without a control topic: the static YAML sets only, as a one-input
 * function. A broadcast input cannot be chained to its source; this can, so the Kafka source, the
 * resolver, the scoring operator and the sink run as one chain with no network hop. Same outputs,
 * dead letters and metrics as {@link LabelSetResolver}, whose element-side logic it runs.
 */
public final class StaticLabelSetResolver extends ProcessFunction<RawRecord, ResolvedEvent> {
    private static final long serialVersionUID = 1L;

    /** No live sets: resolution falls back to the static ones. */
    private static final LabelSetResolution.Store NO_LIVE_SETS = new LabelSetResolution.Store() {
        @Override
        public LabelSet get(String id) {
            return null;
        }

        @Override
        public void put(String id, LabelSet set) {
            throw new UnsupportedOperationException("static label sets only");
        }
    };

    private final LabelSetResolver resolver;

    public StaticLabelSetResolver(LabelSetResolution resolution, Codecs codecs) {
        this.resolver = new LabelSetResolver(resolution, codecs);
    }

    @Override
    public void open(OpenContext openContext) {
        resolver.setRuntimeContext(getRuntimeContext());
        resolver.open(openContext);
    }

    @Override
    public void processElement(RawRecord raw, Context ctx, Collector<ResolvedEvent> out) throws Exception {
        resolver.resolve(raw, NO_LIVE_SETS, out::collect, dl -> out.collect(ResolvedEvent.rejected(dl)));
    }
}
