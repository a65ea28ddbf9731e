package dev.siglipstream.stream.labels;

import dev.siglipstream.siglip.pipeline.ZeroShotImageClassifier;
import java.io.Serializable;
import java.util.List;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.internals.Topic;

/**
 * The complete check of a label set, wherever it comes from (the YAML file at start, a control-topic
 * update when it arrives, labels carried inline by an event), so a set the job accepts can always be
 * scored and written: the template is parsed by the formatter that will fill it, the output topic
 * follows Kafka's topic-name rules, and the labels are within the limits the sink's record size is
 * sized for.
 *
 * @param maxLabels labels per set, at most
 * @param maxLabelLength characters per label, at most
 * @param maxInlineLabels labels carried inline by one event, at most
 */
public record LabelSetLimits(int maxLabels, int maxLabelLength, int maxInlineLabels) implements Serializable {
    /** Worst-case Avro bytes of one scored label beyond its characters: length, float score, matched flag. */
    private static final int LABEL_OVERHEAD_BYTES = 3 + 4 + 1;

    public static final LabelSetLimits DEFAULTS = new LabelSetLimits(2000, 128, 100);

    public LabelSetLimits {
        if (maxLabels < 1 || maxLabelLength < 1 || maxInlineLabels < 1) {
            throw new IllegalArgumentException("label-set limits must be >= 1, got " + maxLabels + " labels, "
                    + maxLabelLength + " characters, " + maxInlineLabels + " inline labels");
        }
    }

    /**
     * The most bytes the labels of one scored event can take (every label at the length limit, three
     * UTF-8 bytes per Java char).
     */
    public long maxScoredLabelBytes() {
        return (long) Math.max(maxLabels, maxInlineLabels) * (3L * maxLabelLength + LABEL_OVERHEAD_BYTES);
    }

    /**
     * Checks a whole set; the message of the exception starts with {@code where} and names the field.
     *
     * @throws LabelSetException the first problem found
     */
    public void check(LabelSet set, String where) {
        String id = set.id();
        if (id.isBlank()) {
            throw new LabelSetException(where + ".id must not be blank");
        }
        if (LabelSet.INLINE_ID.equals(id)) {
            throw new LabelSetException(where + ".id '" + id + "' is reserved for inline labels");
        }
        if (set.version() < 0) {
            throw new LabelSetException(where + ".version must be >= 0, got " + set.version());
        }
        if (set.deleted()) {
            return; // a deletion carries nothing else that is used
        }
        checkLabels(set.labels(), maxLabels, where + ".labels", "siglip.label-sets.max-labels");
        if (set.template() != null) {
            checkTemplate(set.template(), where + ".template");
        }
        Float t = set.threshold();
        if (t != null && !(t >= 0f && t <= 1f)) {
            throw new LabelSetException(where + ".threshold must be a number in [0, 1], got " + t);
        }
        if (set.topK() != null && set.topK() < 1) {
            throw new LabelSetException(where + ".top-k must be an integer >= 1, got " + set.topK());
        }
        if (set.outputTopic() != null) {
            try {
                Topic.validate(set.outputTopic());
            } catch (InvalidTopicException e) {
                throw new LabelSetException(where + ".output-topic '" + abbreviate(set.outputTopic()) + "' is not a valid Kafka topic name: "
                        + e.getMessage());
            }
        }
    }

    /** Checks the labels an event carries inline (the default template, no other fields). */
    public void checkInline(List<String> labels, String where) {
        checkLabels(labels, maxInlineLabels, where, "siglip.label-sets.max-inline-labels");
    }

    private void checkLabels(List<String> labels, int max, String where, String limitKey) {
        if (labels.size() > max) {
            throw new LabelSetException(where + " has " + labels.size() + " labels, the limit is " + max + " (" + limitKey + ")");
        }
        for (int i = 0; i < labels.size(); i++) {
            String l = labels.get(i);
            if (l == null || l.isBlank()) {
                throw new LabelSetException(where + "[" + i + "] must be a non-empty string");
            }
            if (l.length() > maxLabelLength) {
                throw new LabelSetException(where + "[" + i + "] has " + l.length() + " characters, the limit is "
                        + maxLabelLength + " (siglip.label-sets.max-label-length)");
            }
        }
    }

    /**
     * Parses {@code template} with {@link ZeroShotImageClassifier#hypothesis}, the formatter that fills
     * it for scoring, and requires exactly one {@code {}}.
     */
    static void checkTemplate(String template, String where) {
        String with;
        String without;
        try {
            with = ZeroShotImageClassifier.hypothesis(template, "x");
            without = ZeroShotImageClassifier.hypothesis(template, "");
        } catch (IllegalArgumentException e) {
            throw new LabelSetException(where + " '" + abbreviate(template) + "' cannot be used: " + e.getMessage());
        }
        if (with.length() == without.length()) {
            throw new LabelSetException(where + " must contain one '{}' for the label, got '" + abbreviate(template) + "'");
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "... (" + s.length() + " characters)";
    }
}
