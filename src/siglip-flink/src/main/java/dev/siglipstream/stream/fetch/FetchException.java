package dev.siglipstream.stream.fetch;

import java.util.Objects;

/** An image URI that was refused or could not be fetched; {@link #reason()} maps onto the dead-letter reason of the same name. */
public final class FetchException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why; the names equal {@code DeadLetterReason} symbols, so {@code DeadLetterReason.valueOf(reason.name())} works. */
    public enum Reason {
        /** Scheme, host, port or path not on the allowlist, a private/loopback/metadata address, or a malformed URI. */
        URI_NOT_ALLOWED,
        /** Network or file error, timeout, a non-2xx status, or too many redirects. */
        FETCH_FAILED,
        /** The image is larger than the policy's byte limit. */
        TOO_LARGE
    }

    private final Reason reason;
    private final String uri;

    FetchException(Reason reason, String uri, String message) {
        this(reason, uri, message, null);
    }

    FetchException(Reason reason, String uri, String message, Throwable cause) {
        super(reason + ": " + message + " (" + uri + ")", cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.uri = uri;
    }

    /** Why the fetch was refused or failed. */
    public Reason reason() {
        return reason;
    }

    /** The URI that was refused or failed (a redirect target when a later hop failed). */
    public String uri() {
        return uri;
    }
}
