package dev.siglipstream.siglip.hub;

import java.net.URI;
import java.util.Objects;

/**
 * A failed Hub operation; the message names the repository, revision, file and URL involved.
 *
 * <p>Unchecked on purpose: callers (the command line, model loading at job start) cannot recover
 * from a missing model except by reporting it, and {@link #reason()} lets those that can (e.g. a
 * retry on {@link Reason#NETWORK}) tell the cases apart without parsing messages.
 */
public final class HubException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why the operation failed. */
    public enum Reason {
        /** HTTP 401: the repository is private or gated and no (valid) token was sent. */
        UNAUTHORIZED,
        /** HTTP 403, or a gated repository whose terms the token's user has not accepted. */
        FORBIDDEN,
        /** The repository does not exist (or is private and hidden from this token). */
        REPO_NOT_FOUND,
        /** The repository exists but the branch, tag or commit does not. */
        REVISION_NOT_FOUND,
        /** The repository and revision exist but the file does not. */
        FILE_NOT_FOUND,
        /** Offline mode is on and the cache does not hold what was asked for. */
        OFFLINE_NOT_CACHED,
        /** The server could not be reached or the connection broke. */
        NETWORK,
        /** Connecting, or waiting for the server's next bytes, took longer than allowed. */
        TIMEOUT,
        /** The server answered with an unexpected status or with data this client cannot use. */
        PROTOCOL,
        /** Reading or writing the local cache failed. */
        LOCAL_IO
    }

    private final Reason reason;
    private final URI url;

    HubException(Reason reason, String message, URI url, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.url = url;
    }

    HubException(Reason reason, String message) {
        this(reason, message, null, null);
    }

    public Reason reason() {
        return reason;
    }

    /** The URL of the failed request, or {@code null} when no request was made. */
    public URI url() {
        return url;
    }
}
