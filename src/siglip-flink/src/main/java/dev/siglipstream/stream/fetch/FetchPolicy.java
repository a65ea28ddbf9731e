package dev.siglipstream.stream.fetch;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Which image URIs may be fetched, and the limits on fetching them. The default allows nothing, so
 * events must carry their image inline.
 *
 * <p>Allowlist entries: {@code https://images.example.com} (that scheme and host on the scheme's
 * default port), {@code https://*.example.com} (any subdomain), {@code http://127.0.0.1:*} (any
 * port), {@code http://host:8080/images/} (that port, paths under {@code /images/}), {@code
 * file:///data/images} (files under that directory, symbolic links resolved).
 *
 * <pre>{@code
 * FetchPolicy policy = FetchPolicy.builder()
 *         .allow("https://images.example.com")
 *         .maxBytes(10 << 20)
 *         .build();
 * }</pre>
 *
 * @param allowlist entries as above, validated by {@link Builder#build()}
 * @param connectTimeout TCP connect timeout per hop
 * @param readTimeout longest wait for any single read
 * @param totalTimeout longest time for a whole fetch: every hop's connect, status line, headers and body
 *     (a timer closes the connection when it passes)
 * @param maxBytes largest accepted image in bytes (counted while streaming, not trusted from Content-Length)
 * @param maxRedirects redirects followed at most, each target re-checked against the allowlist
 * @param allowPrivateAddresses fetch from loopback, private, link-local and cloud-metadata addresses too (tests, trusted networks)
 */
public record FetchPolicy(
        List<String> allowlist,
        Duration connectTimeout,
        Duration readTimeout,
        Duration totalTimeout,
        long maxBytes,
        int maxRedirects,
        boolean allowPrivateAddresses) implements Serializable {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_TOTAL_TIMEOUT = Duration.ofSeconds(30);
    public static final long DEFAULT_MAX_BYTES = 20L * 1024 * 1024;
    public static final int DEFAULT_MAX_REDIRECTS = 3;

    /** Validates; prefer {@link #builder()}. */
    public FetchPolicy {
        allowlist = List.copyOf(allowlist);
        for (String entry : allowlist) {
            AllowRule.parse(entry);
        }
        requirePositive(connectTimeout, "connectTimeout");
        requirePositive(readTimeout, "readTimeout");
        requirePositive(totalTimeout, "totalTimeout");
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be >= 1, got " + maxBytes);
        }
        if (maxRedirects < 0) {
            throw new IllegalArgumentException("maxRedirects must be >= 0, got " + maxRedirects);
        }
    }

    /** Allows nothing: images must be inline. */
    public static FetchPolicy none() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    private static void requirePositive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }

    /** Builds a {@link FetchPolicy}; every setting is optional. */
    public static final class Builder {
        private final List<String> allowlist = new ArrayList<>();
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration readTimeout = DEFAULT_READ_TIMEOUT;
        private Duration totalTimeout = DEFAULT_TOTAL_TIMEOUT;
        private long maxBytes = DEFAULT_MAX_BYTES;
        private int maxRedirects = DEFAULT_MAX_REDIRECTS;
        private boolean allowPrivateAddresses;

        private Builder() {}

        /** Adds an allowlist entry (see {@link FetchPolicy}). */
        public Builder allow(String entry) {
            allowlist.add(Objects.requireNonNull(entry, "entry"));
            return this;
        }

        /** Adds allowlist entries. */
        public Builder allow(List<String> entries) {
            entries.forEach(this::allow);
            return this;
        }

        public Builder connectTimeout(Duration value) {
            this.connectTimeout = value;
            return this;
        }

        public Builder readTimeout(Duration value) {
            this.readTimeout = value;
            return this;
        }

        public Builder totalTimeout(Duration value) {
            this.totalTimeout = value;
            return this;
        }

        public Builder maxBytes(long value) {
            this.maxBytes = value;
            return this;
        }

        public Builder maxRedirects(int value) {
            this.maxRedirects = value;
            return this;
        }

        /** Also fetch from loopback, private, link-local and cloud-metadata addresses; off by default. */
        public Builder allowPrivateAddresses(boolean value) {
            this.allowPrivateAddresses = value;
            return this;
        }

        /** @throws IllegalArgumentException naming the first invalid entry or setting */
        public FetchPolicy build() {
            return new FetchPolicy(allowlist, connectTimeout, readTimeout, totalTimeout, maxBytes, maxRedirects, allowPrivateAddresses);
        }
    }
}
