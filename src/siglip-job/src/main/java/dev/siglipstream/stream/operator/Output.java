package dev.siglipstream.stream.operator;

import dev.siglipstream.events.DeadLetterReason;

/**
 * One record for the sink, already encoded: a scored event for its label set's topic, or a dead
 * letter for the dead-letter topic.
 *
 * @param topic destination topic
 * @param key record key (the event id), may be null
 * @param value the encoded LabelScoreEvent or DeadLetter
 * @param deadLetterReason the reason name for a dead letter; null for a scored event
 * @param stage where a dead letter's input failed; null for a scored event
 * @param source the input record it answers (for the dead-letter headers, and for the dead letter
 *     that replaces an output too large to write); may be null
 */
public record Output(String topic, byte[] key, byte[] value, String deadLetterReason, String stage, Source source) {

    public boolean isDeadLetter() {
        return deadLetterReason != null;
    }

    /** Inference failures are retried by the async operator's retry strategy; nothing else is. */
    public boolean retryable() {
        return DeadLetterReason.INFERENCE_FAILED.name().equals(deadLetterReason);
    }
}
