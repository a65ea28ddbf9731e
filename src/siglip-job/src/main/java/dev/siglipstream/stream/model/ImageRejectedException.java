package dev.siglipstream.stream.model;

import dev.siglipstream.events.DeadLetterReason;

/** An image the job will not score, with the dead-letter reason to report. */
public final class ImageRejectedException extends Exception {
    private static final long serialVersionUID = 1L;

    private final DeadLetterReason reason;

    public ImageRejectedException(DeadLetterReason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public DeadLetterReason reason() {
        return reason;
    }
}
