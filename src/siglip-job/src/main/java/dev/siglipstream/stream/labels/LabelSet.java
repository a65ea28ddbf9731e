package dev.siglipstream.stream.labels;

import dev.siglipstream.events.LabelSetUpdate;
import dev.siglipstream.flink.CandidateLabels;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One label set as the job holds it (also in broadcast state, so it stays a plain Flink POJO):
 * candidate labels, hypothesis template, threshold, top-k and output topic, at a version. A
 * {@code deleted} set is a tombstone: later events naming it become UNKNOWN_LABEL_SET dead letters.
 *
 * @param id the key events refer to
 * @param version monotonic; updates at or below the current version are ignored
 * @param labels candidate labels in order (an {@link ArrayList}, because Flink copies it with Kryo)
 * @param template hypothesis template with one {@code {}}; null means the default template. Text
 *     embeddings are cached by the {@link #hypotheses()} themselves (their value, never a hash or the
 *     id), so sets and inline label lists share them exactly when the texts are equal
 * @param threshold score at or above which a label is "matched"; null means the job default
 * @param topK keep only the best k scores; null keeps all
 * @param outputTopic topic for this set's scored events; null means the job's output topic
 * @param deleted whether this is a deletion tombstone
 */
public record LabelSet(
        String id,
        long version,
        List<String> labels,
        String template,
        Float threshold,
        Integer topK,
        String outputTopic,
        boolean deleted) implements java.io.Serializable {

    /** The zero-shot pipeline's default hypothesis template. */
    public static final String DEFAULT_TEMPLATE = CandidateLabels.DEFAULT_TEMPLATE;

    /** Label-set id reported for labels carried inline by an event. */
    public static final String INLINE_ID = "inline";

    public LabelSet {
        Objects.requireNonNull(id, "id");
        labels = labels == null ? new ArrayList<>() : new ArrayList<>(labels);
    }

    /** The hypotheses fed to the text tower: each label through the template. */
    public List<String> hypotheses() {
        return candidates().hypotheses();
    }

    /** This set as the scoring API takes it (its id, version, labels, template, threshold and top-k). */
    public CandidateLabels candidates() {
        return new CandidateLabels(id, version, labels, template, threshold, topK);
    }

    /** A set made from a control-topic update. */
    public static LabelSet fromUpdate(LabelSetUpdate u) {
        return new LabelSet(u.getId(), u.getVersion(), u.getLabels(), u.getTemplate(), u.getThreshold(),
                u.getTopK(), u.getOutputTopic(), u.getDeleted());
    }

    /** The control-topic update that recreates this set. */
    public LabelSetUpdate toUpdate() {
        return LabelSetUpdate.newBuilder()
                .setId(id).setVersion(version).setLabels(new ArrayList<>(labels)).setTemplate(template)
                .setThreshold(threshold).setTopK(topK).setOutputTopic(outputTopic).setDeleted(deleted)
                .build();
    }

    /** Labels carried by one event, scored with the default template. */
    public static LabelSet inline(List<String> labels) {
        return new LabelSet(INLINE_ID, 0L, labels, null, null, null, null, false);
    }
}
