package dev.siglipstream.flink;

import org.apache.flink.annotation.PublicEvolving;

/**
 * A record that was not scored: the input element, why, and the stage it failed in ({@code resolve},
 * {@code queue}, {@code fetch}, {@code preprocess}, {@code text-embeddings}, {@code batch-wait},
 * {@code inference} or {@code score}).
 *
 * @param element the input element
 * @param reason the reason code
 * @param stage where it failed
 * @param message what happened, for people
 */
@PublicEvolving
public record ScoringFailure<T>(T element, FailureReason reason, String stage, String message) implements ScoringOutcome<T> {

    /** Inference failures are worth retrying; nothing else is. */
    public boolean retryable() {
        return reason == FailureReason.INFERENCE_FAILED;
    }
}
