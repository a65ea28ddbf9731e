package dev.siglipstream.flink;

import java.util.Map;
import java.util.TreeSet;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.GenericTypeInfo;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Picks each element's label set from the builder's static sets overlaid with the broadcast updates
 * received so far (kept in broadcast state, so they survive a restore). An update replaces the set of
 * its id when its version is newer than the one in force and is ignored otherwise; an update without
 * labels deletes the set.
 */
final class LiveLabelSets<T> extends BroadcastProcessFunction<T, CandidateLabels, Labelled<T>> {
    private static final long serialVersionUID = 1L;

    static final MapStateDescriptor<String, CandidateLabels> STATE =
            new MapStateDescriptor<>("siglip-label-sets", Types.STRING, new GenericTypeInfo<>(CandidateLabels.class));

    private final SiglipScoringBuilder.Settings<T> settings;

    LiveLabelSets(SiglipScoringBuilder.Settings<T> settings) {
        this.settings = settings;
    }

    @Override
    public void processElement(T element, ReadOnlyContext ctx, Collector<Labelled<T>> out) throws Exception {
        String id;
        try {
            id = settings.labelSetId() == null ? null : settings.labelSetId().apply(element);
        } catch (Exception e) {
            if (settings.failsTask(e)) {
                throw e;
            }
            out.collect(new Labelled<>(element, null, FailureReason.INTERNAL_ERROR, e.getMessage() == null ? e.toString() : e.getMessage()));
            return;
        }
        if (id == null) {
            id = settings.defaultLabelSet();
        }
        if (id == null) {
            out.collect(new Labelled<>(element, null, FailureReason.UNKNOWN_LABEL_SET,
                    "the element names no label set and there is no default"));
            return;
        }
        ReadOnlyBroadcastState<String, CandidateLabels> live = ctx.getBroadcastState(STATE);
        CandidateLabels set = live.contains(id) ? live.get(id) : settings.labelSets().get(id);
        if (set == null || set.labels().isEmpty()) {
            TreeSet<String> known = new TreeSet<>(settings.labelSets().keySet());
            for (Map.Entry<String, CandidateLabels> e : live.immutableEntries()) {
                if (e.getValue().labels().isEmpty()) {
                    known.remove(e.getKey());
                } else {
                    known.add(e.getKey());
                }
            }
            out.collect(new Labelled<>(element, null, FailureReason.UNKNOWN_LABEL_SET, SiglipScoringFunction.unknownSet(id, known)));
            return;
        }
        out.collect(new Labelled<>(element, set, null, null));
    }

    @Override
    public void processBroadcastElement(CandidateLabels update, Context ctx, Collector<Labelled<T>> out) throws Exception {
        BroadcastState<String, CandidateLabels> live = ctx.getBroadcastState(STATE);
        CandidateLabels current = live.contains(update.id()) ? live.get(update.id()) : settings.labelSets().get(update.id());
        if (current == null || update.version() > current.version()) {
            live.put(update.id(), update);
        }
    }
}
