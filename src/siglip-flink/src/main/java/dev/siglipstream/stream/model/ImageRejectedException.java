package dev.siglipstream.stream.model;

/** An image that will not be scored, with the reason to report (a failure reason, or the job's dead-letter reason). */
public final class ImageRejectedException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * Why an image was refused. The names equal the job's {@code DeadLetterReason} symbols and the
     * public API's {@code FailureReason} constants, so either is found with {@code valueOf(reason.name())}.
     */
    public enum Reason {
        /** The bytes are not an image any decoder reads. */
        UNDECODABLE_IMAGE,
        /** The decoded image has more pixels than the limit. */
        IMAGE_TOO_LARGE,
        /** The URI is not on the allowlist, resolves to a private address, or is malformed. */
        URI_NOT_ALLOWED,
        /** The URI could not be fetched (network, status, timeout). */
        FETCH_FAILED,
        /** The fetched image is larger than the byte limit. */
        TOO_LARGE
    }

    private final Reason reason;

    public ImageRejectedException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = java.util.Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
