package dev.siglipstream.siglip.image;

/** An encoded image that cannot be turned into pixels; {@link #reason()} says which kind of failure. */
public final class ImageDecodeException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why decoding failed. */
    public enum Reason {
        /** No bytes at all. */
        EMPTY,
        /** Bytes that are not an image format this decoder reads. */
        UNSUPPORTED_FORMAT,
        /** A recognised format whose data is truncated or malformed. */
        CORRUPT,
        /** Width × height over the decoder's pixel limit (checked from the header). */
        TOO_LARGE
    }

    private final Reason reason;

    public ImageDecodeException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ImageDecodeException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
