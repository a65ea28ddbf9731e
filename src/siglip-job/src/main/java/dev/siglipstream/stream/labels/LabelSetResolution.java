package dev.siglipstream.stream.labels;

import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.LabelSetUpdate;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rules that pick an event's label set and apply control-topic updates, independent of where
 * the live sets are stored (Flink broadcast state in the job, a map in tests).
 *
 * <p>Live sets override the static ones from the YAML file; an update applies only when its version
 * is above the current one (static or live), so replays of the compacted topic are idempotent.
 */
public final class LabelSetResolution implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Where the live label sets are kept. */
    public interface Store {
        LabelSet get(String id) throws Exception;

        void put(String id, LabelSet set) throws Exception;
    }

    /** The outcome for one event: a set to score against, or a dead-letter reason. */
    public record Result(LabelSet set, DeadLetterReason reason, String message) {
        static Result ok(LabelSet set) {
            return new Result(set, null, null);
        }

        static Result fail(DeadLetterReason reason, String message) {
            return new Result(null, reason, message);
        }

        public boolean ok() {
            return set != null;
        }
    }

    private final Map<String, LabelSet> staticSets;
    private final String defaultId;
    private final LabelSetLimits limits;

    /**
     * @param staticSets the sets from the YAML file
     * @param defaultId the set for events that name none; null means the first static set (if any)
     */
    public LabelSetResolution(List<LabelSet> staticSets, String defaultId) {
        this(staticSets, defaultId, LabelSetLimits.DEFAULTS);
    }

    /**
     * @param staticSets the sets from the YAML file (already checked against {@code limits})
     * @param defaultId the set for events that name none; null means the first static set (if any)
     * @param limits what updates and inline labels are checked against
     */
    public LabelSetResolution(List<LabelSet> staticSets, String defaultId, LabelSetLimits limits) {
        this.limits = java.util.Objects.requireNonNull(limits, "limits");
        this.staticSets = new LinkedHashMap<>();
        for (LabelSet s : staticSets) {
            this.staticSets.put(s.id(), s);
        }
        this.defaultId = defaultId != null ? defaultId
                : staticSets.isEmpty() ? null : staticSets.get(0).id();
    }

    public Map<String, LabelSet> staticSets() {
        return staticSets;
    }

    /** Picks the set for an event naming {@code labelSetId} (or none) and carrying {@code inlineLabels} (or none). */
    public Result resolve(String labelSetId, List<String> inlineLabels, Store store) throws Exception {
        if (inlineLabels != null) {
            if (inlineLabels.isEmpty()) {
                return Result.fail(DeadLetterReason.EMPTY_LABEL_SET, "the event carries an empty inline label list");
            }
            try {
                limits.checkInline(inlineLabels, "the event's inline labels");
            } catch (LabelSetException e) {
                return Result.fail(DeadLetterReason.INVALID_LABEL_SET, e.getMessage());
            }
            return Result.ok(LabelSet.inline(inlineLabels));
        }
        String id = labelSetId != null ? labelSetId : defaultId;
        if (id == null) {
            return Result.fail(DeadLetterReason.UNKNOWN_LABEL_SET,
                    "the event names no label set and the job has no default label set");
        }
        LabelSet set = current(id, store);
        if (set == null) {
            return Result.fail(DeadLetterReason.UNKNOWN_LABEL_SET, "label set '" + id + "' does not exist");
        }
        if (set.deleted()) {
            return Result.fail(DeadLetterReason.UNKNOWN_LABEL_SET,
                    "label set '" + id + "' was deleted at version " + set.version());
        }
        if (set.labels().isEmpty()) {
            return Result.fail(DeadLetterReason.EMPTY_LABEL_SET,
                    "label set '" + id + "' (version " + set.version() + ") has no labels");
        }
        return Result.ok(set);
    }

    /**
     * Applies a control-topic update; returns the new set, or null when it was ignored (a version not
     * above the current one: replays of the compacted topic). A deletion with version -1 (a Kafka
     * tombstone) deletes at the current version + 1.
     *
     * @throws LabelSetException the update is invalid (template, output topic, labels, limits, version);
     *     nothing was stored and the previous version stays in force
     */
    public LabelSet apply(LabelSetUpdate update, Store store) throws Exception {
        LabelSet current = current(update.getId(), store);
        long version = update.getVersion();
        if (update.getDeleted() && version < 0) {
            version = current == null ? 0 : current.version() + 1;
        }
        if (current != null && version <= current.version()) {
            return null;
        }
        LabelSet set = LabelSet.fromUpdate(update);
        if (version != set.version()) {
            set = new LabelSet(set.id(), version, set.labels(), set.template(), set.threshold(), set.topK(),
                    set.outputTopic(), set.deleted());
        }
        limits.check(set, "label-set update '" + update.getId() + "' version " + update.getVersion());
        store.put(set.id(), set);
        return set;
    }

    private LabelSet current(String id, Store store) throws Exception {
        LabelSet live = store.get(id);
        return live != null ? live : staticSets.get(id);
    }
}
