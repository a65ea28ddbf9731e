package dev.siglipstream.flink;

import org.apache.flink.annotation.PublicEvolving;

/**
 * What {@link SiglipScoringFunction} completes each record with: a {@link ScoredImage} or a
 * {@link ScoringFailure}. {@link SiglipScoring#apply} splits the two into the main stream and the
 * failures' side output.
 */
@PublicEvolving
public sealed interface ScoringOutcome<T> extends java.io.Serializable permits ScoredImage, ScoringFailure {
    /** The input element this outcome answers. */
    T element();
}
