package dev.siglipstream.flink;

import org.apache.flink.annotation.PublicEvolving;

/**
 * One label's score for one image.
 *
 * @param label the candidate label as given (not the hypothesis text)
 * @param score the SigLIP sigmoid probability, 0 to 1, independent of the other labels
 * @param matched whether {@code score} is at or above the label set's threshold
 */
@PublicEvolving
public record ScoredLabel(String label, float score, boolean matched) implements java.io.Serializable {}
