package dev.siglipstream.stream.labels;

/** A label-set file that cannot be used; the message names the file, the field and the value. */
public final class LabelSetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LabelSetException(String message) {
        super(message);
    }

    public LabelSetException(String message, Throwable cause) {
        super(message, cause);
    }
}
