package dev.siglipstream.stream.fetch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import dev.siglipstream.stream.fetch.FetchException.Reason;

/**
 * Fetches images given by reference (an ImageEvent's {@code imageUri}) under a {@link FetchPolicy}:
 * only allowlisted scheme + host (+ port, path) or file directories; every redirect hop re-checked;
 * loopback, private, link-local, unique-local and cloud-metadata addresses refused after DNS
 * resolution unless the policy allows them; a streaming byte limit; connect and read timeouts and
 * a deadline over the whole fetch (connect, status line, headers and body of every hop; DNS look-ups
 * are not covered). Every refusal or failure is a {@link FetchException} whose reason names the dead letter.
 *
 * <pre>{@code
 * ImageFetcher fetcher = new ImageFetcher(FetchPolicy.builder().allow("https://images.example.com").build());
 * byte[] image = fetcher.fetch(event.getImageUri()); // FetchException: URI_NOT_ALLOWED, FETCH_FAILED, TOO_LARGE
 * }</pre>
 *
 * <p>Immutable and thread-safe; {@link #fetch} blocks, so call it from an I/O or CPU pool, never
 * from a Flink {@code asyncInvoke} thread directly. The address check resolves the host once and
 * the connection resolves it again: a DNS server that answers differently within milliseconds (DNS
 * rebinding) is not defended against beyond that; put a filtering egress proxy in front where that
 * matters.
 */
public final class ImageFetcher {
    /** Looks host names up; replaceable in tests. */
    interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    private static final byte[] METADATA_V4 = {(byte) 169, (byte) 254, (byte) 169, (byte) 254};

    private final FetchPolicy policy;
    private final List<AllowRule> rules;
    private final Resolver resolver;

    /** A fetcher for {@code policy}. */
    public ImageFetcher(FetchPolicy policy) {
        this(policy, InetAddress::getAllByName);
    }

    ImageFetcher(FetchPolicy policy, Resolver resolver) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        List<AllowRule> parsed = new ArrayList<>();
        policy.allowlist().forEach(e -> parsed.add(AllowRule.parse(e)));
        this.rules = List.copyOf(parsed);
    }

    /** The policy. */
    public FetchPolicy policy() {
        return policy;
    }

    /**
     * Fetches the image bytes at {@code uri}.
     *
     * @throws FetchException with {@link Reason#URI_NOT_ALLOWED} (not on the allowlist, a refused
     *     address, malformed), {@link Reason#FETCH_FAILED} (I/O, timeout, non-2xx status, too many
     *     redirects) or {@link Reason#TOO_LARGE} (over {@link FetchPolicy#maxBytes()})
     */
    public byte[] fetch(String uri) throws FetchException {
        if (uri == null || uri.isBlank()) {
            throw new FetchException(Reason.URI_NOT_ALLOWED, String.valueOf(uri), "no URI given");
        }
        URI parsed = parse(uri);
        String scheme = parsed.getScheme() == null ? "" : parsed.getScheme().toLowerCase(Locale.ROOT);
        return switch (scheme) {
            case "file" -> fetchFile(parsed, uri);
            case "http", "https" -> fetchHttp(parsed);
            default -> throw new FetchException(Reason.URI_NOT_ALLOWED, uri, "scheme '" + scheme + "' is not fetched, expected http, https or file");
        };
    }

    private static URI parse(String uri) throws FetchException {
        try {
            return new URI(uri.trim());
        } catch (URISyntaxException e) {
            throw new FetchException(Reason.URI_NOT_ALLOWED, uri, "not a valid URI: " + e.getMessage(), e);
        }
    }

    private byte[] fetchFile(URI uri, String original) throws FetchException {
        if (uri.getHost() != null && !uri.getHost().equalsIgnoreCase("localhost") || uri.getPath() == null || uri.getRawQuery() != null) {
            throw new FetchException(Reason.URI_NOT_ALLOWED, original, "expected file:///absolute/path");
        }
        Path real;
        try {
            // The real path (symbolic links resolved) is what must lie under an allowed directory.
            real = Path.of(uri.getPath()).toRealPath();
        } catch (NoSuchFileException e) {
            if (rules.stream().noneMatch(r -> r.scheme().equals("file") && Path.of(uri.getPath()).normalize().startsWith(r.pathPrefix()))) {
                throw new FetchException(Reason.URI_NOT_ALLOWED, original, "not under an allowed file directory " + allowedList());
            }
            throw new FetchException(Reason.FETCH_FAILED, original, "no such file", e);
        } catch (IOException | RuntimeException e) {
            throw new FetchException(Reason.FETCH_FAILED, original, "cannot resolve the path: " + e, e);
        }
        if (rules.stream().noneMatch(r -> r.matchesFile(real))) {
            throw new FetchException(Reason.URI_NOT_ALLOWED, original, "not under an allowed file directory " + allowedList());
        }
        try {
            if (!Files.isRegularFile(real)) {
                throw new FetchException(Reason.FETCH_FAILED, original, "not a regular file");
            }
            long size = Files.size(real);
            if (size > policy.maxBytes()) {
                throw new FetchException(Reason.TOO_LARGE, original, size + " bytes, the limit is " + policy.maxBytes());
            }
            try (InputStream in = Files.newInputStream(real)) {
                return readLimited(in, original, System.nanoTime() + policy.totalTimeout().toNanos());
            }
        } catch (IOException e) {
            throw new FetchException(Reason.FETCH_FAILED, original, "cannot read: " + e, e);
        }
    }

    private byte[] fetchHttp(URI first) throws FetchException {
        long deadline = System.nanoTime() + policy.totalTimeout().toNanos();
        URI current = first;
        for (int hop = 0; ; hop++) {
            checkHttpAllowed(current);
            HttpURLConnection conn = null;
            String where = current.toString();
            Deadline cutOff = null;
            try {
                conn = (HttpURLConnection) current.toURL().openConnection(Proxy.NO_PROXY);
                conn.setInstanceFollowRedirects(false);
                // Each wait is also capped by what is left of the whole fetch, and the watchdog closes the
                // connection at the deadline: a server that answers one byte at a time never trips a read timeout.
                long left = remaining(deadline, where);
                conn.setConnectTimeout(millis(java.time.Duration.ofNanos(Math.min(policy.connectTimeout().toNanos(), left))));
                conn.setReadTimeout(millis(java.time.Duration.ofNanos(Math.min(policy.readTimeout().toNanos(), left))));
                conn.setUseCaches(false);
                conn.setRequestProperty("Accept", "image/*");
                conn.setRequestProperty("User-Agent", "siglip-stream");
                cutOff = Deadline.arm(conn, left);
                int status = conn.getResponseCode();
                if (status >= 300 && status < 400 && status != 304) {
                    String location = conn.getHeaderField("Location");
                    if (location == null || location.isBlank()) {
                        throw new FetchException(Reason.FETCH_FAILED, where, "HTTP " + status + " without a Location header");
                    }
                    if (hop >= policy.maxRedirects()) {
                        throw new FetchException(Reason.FETCH_FAILED, where, "more than " + policy.maxRedirects() + " redirects");
                    }
                    URI next = current.resolve(parse(location));
                    String nextScheme = next.getScheme() == null ? "" : next.getScheme().toLowerCase(Locale.ROOT);
                    if (!nextScheme.equals("http") && !nextScheme.equals("https")) {
                        // Never let a remote server choose a local file, whatever the allowlist says.
                        throw new FetchException(Reason.URI_NOT_ALLOWED, next.toString(), "redirect from " + where + " to scheme '" + nextScheme + "'");
                    }
                    current = next;
                    continue;
                }
                if (status < 200 || status >= 300) {
                    throw new FetchException(Reason.FETCH_FAILED, where, "HTTP status " + status + ", expected 2xx");
                }
                long declared = conn.getContentLengthLong();
                if (declared > policy.maxBytes()) {
                    throw new FetchException(Reason.TOO_LARGE, where, "Content-Length " + declared + " bytes, the limit is " + policy.maxBytes());
                }
                try (InputStream in = conn.getInputStream()) {
                    return readLimited(in, where, deadline);
                }
            } catch (FetchException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                if (cutOff != null && cutOff.fired() || System.nanoTime() - deadline >= 0) {
                    throw overDeadline(where, e);
                }
                if (e instanceof SocketTimeoutException) {
                    throw new FetchException(Reason.FETCH_FAILED, where, "timed out: " + e.getMessage(), e);
                }
                throw new FetchException(Reason.FETCH_FAILED, where, e.toString(), e);
            } finally {
                if (cutOff != null) {
                    cutOff.disarm();
                }
                if (conn != null) {
                    conn.disconnect();
                }
            }
        }
    }

    /** Nanoseconds left before {@code deadline}; a FETCH_FAILED when none are. */
    private long remaining(long deadline, String where) throws FetchException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw overDeadline(where, null);
        }
        return left;
    }

    private FetchException overDeadline(String where, Throwable cause) {
        return new FetchException(Reason.FETCH_FAILED, where, "took longer than the fetch deadline " + policy.totalTimeout()
                + " (connect, status line, headers and body together)", cause);
    }

    /**
     * Closes one connection when the fetch's deadline passes, from a shared timer thread: closing the
     * socket ends a read blocked in the status line, the headers or the body.
     */
    private static final class Deadline {
        private static final java.util.concurrent.ScheduledThreadPoolExecutor TIMER = timer();
        private final java.util.concurrent.ScheduledFuture<?> task;
        private final java.util.concurrent.atomic.AtomicBoolean fired;

        private Deadline(java.util.concurrent.ScheduledFuture<?> task, java.util.concurrent.atomic.AtomicBoolean fired) {
            this.task = task;
            this.fired = fired;
        }

        static Deadline arm(HttpURLConnection conn, long nanos) {
            java.util.concurrent.atomic.AtomicBoolean fired = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.ScheduledFuture<?> task = TIMER.schedule(() -> {
                fired.set(true);
                conn.disconnect();
            }, nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
            return new Deadline(task, fired);
        }

        boolean fired() {
            return fired.get();
        }

        void disarm() {
            task.cancel(false);
        }

        private static java.util.concurrent.ScheduledThreadPoolExecutor timer() {
            java.util.concurrent.ScheduledThreadPoolExecutor t = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
                Thread th = new Thread(r, "siglip-fetch-deadline");
                th.setDaemon(true);
                return th;
            });
            t.setRemoveOnCancelPolicy(true); // a finished fetch leaves nothing behind in the timer's queue
            return t;
        }
    }

    private void checkHttpAllowed(URI uri) throws FetchException {
        String s = uri.toString();
        if (uri.getRawUserInfo() != null) {
            throw new FetchException(Reason.URI_NOT_ALLOWED, s, "credentials in URIs are not allowed");
        }
        if (uri.getHost() == null) {
            throw new FetchException(Reason.URI_NOT_ALLOWED, s, "no host");
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        String host = AllowRule.normalizeHost(uri.getHost());
        int port = uri.getPort() >= 0 ? uri.getPort() : AllowRule.defaultPort(scheme);
        String path = uri.normalize().getPath();
        // Dot segments that survive normalisation (e.g. percent-encoded) could climb out of a path prefix.
        if (path != null && (path.contains("/../") || path.endsWith("/..") || path.startsWith("../"))) {
            throw new FetchException(Reason.URI_NOT_ALLOWED, s, "dot segments in the path");
        }
        if (rules.stream().noneMatch(r -> r.matchesHttp(scheme, host, port, path))) {
            throw new FetchException(Reason.URI_NOT_ALLOWED, s, scheme + "://" + host + ":" + port + " is not on the allowlist " + allowedList());
        }
        if (policy.allowPrivateAddresses()) {
            return;
        }
        InetAddress[] addresses;
        try {
            addresses = resolver.resolve(host);
        } catch (UnknownHostException e) {
            throw new FetchException(Reason.FETCH_FAILED, s, "unknown host " + host, e);
        }
        for (InetAddress a : addresses) {
            String refused = refusedKind(a);
            if (refused != null) {
                throw new FetchException(Reason.URI_NOT_ALLOWED, s, host + " resolves to " + refused + " address "
                        + a.getHostAddress() + " (allowPrivateAddresses is off)");
            }
        }
    }

    /** Why an address may not be fetched from by default, or null when it may. */
    static String refusedKind(InetAddress a) {
        byte[] b = a.getAddress();
        // Before the embedded-IPv4 forms: ::1 and :: would otherwise read as 0.0.0.1 and 0.0.0.0.
        if (a.isLoopbackAddress()) {
            return "a loopback";
        }
        if (a.isAnyLocalAddress()) {
            return "a wildcard";
        }
        if (a instanceof Inet6Address) {
            if (java.util.Arrays.equals(b, new byte[] {(byte) 0xfd, 0, 0x0e, (byte) 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54})) {
                return "a cloud-metadata";
            }
            if ((b[0] & 0xfe) == 0xfc) {
                return "a unique-local (private)";
            }
            byte[] v4 = embeddedIpv4(b);
            if (v4 != null) {
                try {
                    String inner = refusedKind(InetAddress.getByAddress(v4));
                    if (inner != null) {
                        return inner + " (embedded in IPv6)";
                    }
                } catch (UnknownHostException impossible) {
                    return "an unparseable";
                }
            }
        } else if (a instanceof Inet4Address) {
            if (java.util.Arrays.equals(b, METADATA_V4)) {
                return "a cloud-metadata";
            }
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            if (first == 0) {
                return "a 'this network'";
            }
            if (first == 100 && second >= 64 && second <= 127) {
                return "a shared (carrier-grade NAT)";
            }
            if (first >= 240) {
                return "a reserved";
            }
        }
        if (a.isLinkLocalAddress()) {
            return "a link-local";
        }
        if (a.isSiteLocalAddress()) {
            return "a private";
        }
        if (a.isMulticastAddress()) {
            return "a multicast";
        }
        return null;
    }

    /** The IPv4 address inside IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses. */
    private static byte[] embeddedIpv4(byte[] b) {
        boolean zeros96 = true;
        for (int i = 0; i < 12; i++) {
            zeros96 &= b[i] == 0;
        }
        boolean nat64 = b[0] == 0 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b;
        for (int i = 4; nat64 && i < 12; i++) {
            nat64 = b[i] == 0;
        }
        if (zeros96 || nat64) {
            return new byte[] {b[12], b[13], b[14], b[15]};
        }
        if (b[0] == 0x20 && b[1] == 0x02) {
            return new byte[] {b[2], b[3], b[4], b[5]};
        }
        return null;
    }

    private byte[] readLimited(InputStream in, String where, long deadline) throws IOException, FetchException {
        long limit = policy.maxBytes();
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(limit, 64 * 1024));
        byte[] buf = new byte[16 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buf)) != -1) {
            total += n;
            if (total > limit) {
                throw new FetchException(Reason.TOO_LARGE, where, "more than " + limit + " bytes");
            }
            if (System.nanoTime() - deadline > 0) {
                throw overDeadline(where, null);
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    private String allowedList() {
        return policy.allowlist().isEmpty() ? "(empty: only inline images are accepted)" : policy.allowlist().toString();
    }

    private static int millis(java.time.Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, d.toMillis()));
    }
}
