package dev.siglipstream.flink;

import java.io.Serializable;

/**
 * An element with the label set in force for it when it passed {@link LiveLabelSets}; or, when no set
 * was found, why (then {@code labels} is null).
 */
record Labelled<T>(T element, CandidateLabels labels, FailureReason reason, String message) implements Serializable {

    /** {@code fn} on the element, for the extractors of the scoring over labelled elements. */
    static <T, R> SerializableFunction<Labelled<T>, R> on(SerializableFunction<T, R> fn) {
        return fn == null ? null : l -> fn.apply(l.element());
    }

    /** The element's label set, or its failure when it has none. */
    CandidateLabels labelsOrFail() {
        if (labels == null) {
            throw new SiglipScoringFunction.StageException(reason, SiglipScoringFunction.RESOLVE, message, null);
        }
        return labels;
    }
}
