package dev.siglipstream.stream.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.siglipstream.testutils.TestData;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.stream.fetch.FetchException.Reason;
import dev.siglipstream.testutils.HeaderTrickler;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The allowlist, address, size, status, redirect and timeout rules, against a local HTTP server and local files. */
class ImageFetcherTest {
    private static final Path IMAGE = TestData.conformance("images/palette.png");
    private static HttpServer server;
    private static ExecutorService executor;
    private static String base;
    private static byte[] imageBytes;

    @BeforeAll
    static void startServer() throws IOException {
        imageBytes = Files.readAllBytes(IMAGE);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        base = "http://127.0.0.1:" + server.getAddress().getPort();
        server.createContext("/images/cat.png", ex -> respond(ex, 200, imageBytes, true));
        server.createContext("/images/chunked.png", ex -> respond(ex, 200, imageBytes, false));
        server.createContext("/big-declared", ex -> respond(ex, 200, new byte[5000], true));
        server.createContext("/big-chunked", ex -> respond(ex, 200, new byte[5000], false));
        server.createContext("/missing", ex -> respond(ex, 404, "no".getBytes(), true));
        server.createContext("/broken", ex -> respond(ex, 500, "oops".getBytes(), true));
        server.createContext("/redirect-ok", ex -> redirect(ex, "/images/cat.png"));
        server.createContext("/redirect-absolute", ex -> redirect(ex, base + "/images/cat.png"));
        server.createContext("/redirect-localhost", ex -> redirect(ex, "http://localhost:" + server.getAddress().getPort() + "/images/cat.png"));
        server.createContext("/redirect-file", ex -> redirect(ex, "file://" + IMAGE.toAbsolutePath()));
        server.createContext("/redirect-metadata", ex -> redirect(ex, "http://169.254.169.254/latest/meta-data/"));
        server.createContext("/loop", ex -> redirect(ex, "/loop"));
        server.createContext("/no-location", ex -> respond(ex, 302, new byte[0], true));
        server.createContext("/slow", ex -> {
            try {
                Thread.sleep(1500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            respond(ex, 200, imageBytes, true);
        });
        executor = Executors.newFixedThreadPool(4);
        server.setExecutor(executor);
        server.start();
    }

    @AfterAll
    static void stopServer() {
        server.stop(0);
        executor.shutdownNow();
    }

    private static void respond(HttpExchange ex, int status, byte[] body, boolean withLength) throws IOException {
        ex.getResponseHeaders().add("Content-Type", "image/png");
        ex.sendResponseHeaders(status, withLength ? (body.length == 0 ? -1 : body.length) : 0);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private static void redirect(HttpExchange ex, String location) throws IOException {
        ex.getResponseHeaders().add("Location", location);
        ex.sendResponseHeaders(302, -1);
        ex.close();
    }

    /** Loopback allowed: the local server is on 127.0.0.1. */
    private static ImageFetcher local(FetchPolicy.Builder b) {
        return new ImageFetcher(b.allow("http://127.0.0.1:*").allowPrivateAddresses(true).build());
    }

    private static ImageFetcher local() {
        return local(FetchPolicy.builder());
    }

    private static void assertRefused(ThrowingCallable call, Reason reason, String messagePart) {
        assertThatThrownBy(call).isInstanceOfSatisfying(FetchException.class, e -> {
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.getMessage()).startsWith(reason + ": ").contains(messagePart);
        });
    }

    @Test
    void fetchesAllowedUrisByteForByte() throws Exception {
        assertThat(local().fetch(base + "/images/cat.png")).isEqualTo(imageBytes);
        assertThat(local().fetch(base + "/images/chunked.png")).isEqualTo(imageBytes);
    }

    @Test
    void theDefaultPolicyAllowsNothing() {
        ImageFetcher fetcher = new ImageFetcher(FetchPolicy.none());
        assertRefused(() -> fetcher.fetch(base + "/images/cat.png"), Reason.URI_NOT_ALLOWED, "(empty: only inline images are accepted)");
        assertRefused(() -> fetcher.fetch("file://" + IMAGE.toAbsolutePath()), Reason.URI_NOT_ALLOWED, "not under an allowed file directory");
        assertRefused(() -> fetcher.fetch("gopher://example.com/x"), Reason.URI_NOT_ALLOWED, "scheme 'gopher' is not fetched");
        assertRefused(() -> fetcher.fetch("data:image/png;base64,AAAA"), Reason.URI_NOT_ALLOWED, "scheme 'data'");
        assertRefused(() -> fetcher.fetch("not a uri"), Reason.URI_NOT_ALLOWED, "not a valid URI");
        assertRefused(() -> fetcher.fetch(""), Reason.URI_NOT_ALLOWED, "no URI given");
    }

    @Test
    void loopbackIsRefusedAfterResolutionUnlessPrivateAddressesAreAllowed() {
        ImageFetcher strict = new ImageFetcher(FetchPolicy.builder().allow("http://127.0.0.1:*").allow("http://localhost:*").build());
        assertRefused(() -> strict.fetch(base + "/images/cat.png"), Reason.URI_NOT_ALLOWED,
                "127.0.0.1 resolves to a loopback address 127.0.0.1 (allowPrivateAddresses is off)");
        assertRefused(() -> strict.fetch("http://localhost:" + server.getAddress().getPort() + "/images/cat.png"),
                Reason.URI_NOT_ALLOWED, "localhost resolves to a loopback address");
    }

    @Test
    void allowedHostNamesResolvingToPrivateOrMetadataAddressesAreRefused() {
        FetchPolicy policy = FetchPolicy.builder().allow("https://images.example.com").build();
        Map<String, String> answers = Map.of(
                "169.254.169.254", "a cloud-metadata address 169.254.169.254",
                "fd00:ec2::254", "a cloud-metadata address",
                "10.1.2.3", "a private address 10.1.2.3",
                "192.168.0.7", "a private address",
                "fe80::1", "a link-local address");
        answers.forEach((address, expected) -> {
            ImageFetcher fetcher = new ImageFetcher(policy, host -> new InetAddress[] {InetAddress.getByName(address)});
            assertRefused(() -> fetcher.fetch("https://images.example.com/cat.jpg"), Reason.URI_NOT_ALLOWED,
                    "images.example.com resolves to " + expected);
        });
        // One bad address among good ones is enough: the connection might pick it.
        ImageFetcher mixed = new ImageFetcher(policy, host -> new InetAddress[] {
            InetAddress.getByName("93.184.216.34"), InetAddress.getByName("127.0.0.1")});
        assertRefused(() -> mixed.fetch("https://images.example.com/cat.jpg"), Reason.URI_NOT_ALLOWED, "loopback");
        ImageFetcher unknown = new ImageFetcher(policy, host -> {
            throw new java.net.UnknownHostException(host);
        });
        assertRefused(() -> unknown.fetch("https://images.example.com/cat.jpg"), Reason.FETCH_FAILED, "unknown host images.example.com");
    }

    @Test
    void classifiesAddresses() throws Exception {
        Map<String, String> refused = Map.ofEntries(
                Map.entry("127.0.0.1", "a loopback"), Map.entry("127.9.9.9", "a loopback"), Map.entry("::1", "a loopback"),
                Map.entry("0.0.0.0", "a wildcard"), Map.entry("0.1.2.3", "a 'this network'"), Map.entry("::", "a wildcard"),
                Map.entry("10.0.0.1", "a private"), Map.entry("172.16.5.4", "a private"), Map.entry("192.168.1.1", "a private"),
                Map.entry("169.254.169.254", "a cloud-metadata"), Map.entry("169.254.1.1", "a link-local"),
                Map.entry("fd00:ec2::254", "a cloud-metadata"), Map.entry("fc00::1", "a unique-local (private)"),
                Map.entry("fe80::1", "a link-local"), Map.entry("100.64.0.1", "a shared (carrier-grade NAT)"),
                Map.entry("224.0.0.1", "a multicast"), Map.entry("255.255.255.255", "a reserved"),
                Map.entry("::ffff:127.0.0.1", "a loopback"), Map.entry("::127.0.0.1", "a loopback (embedded in IPv6)"),
                Map.entry("64:ff9b::a9fe:a9fe", "a cloud-metadata (embedded in IPv6)"), Map.entry("2002:0a00:0001::1", "a private (embedded in IPv6)"));
        refused.forEach((address, kind) -> {
            try {
                assertThat(ImageFetcher.refusedKind(InetAddress.getByName(address))).as(address).isEqualTo(kind);
            } catch (java.net.UnknownHostException e) {
                throw new AssertionError(e);
            }
        });
        for (String ok : new String[] {"93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111"}) {
            assertThat(ImageFetcher.refusedKind(InetAddress.getByName(ok))).as(ok).isNull();
        }
    }

    @Test
    void hostPortAndPathMustMatchTheAllowlist() throws Exception {
        int port = server.getAddress().getPort();
        ImageFetcher otherPort = new ImageFetcher(FetchPolicy.builder().allow("http://127.0.0.1:" + (port == 1 ? 2 : port - 1))
                .allowPrivateAddresses(true).build());
        assertRefused(() -> otherPort.fetch(base + "/images/cat.png"), Reason.URI_NOT_ALLOWED, "http://127.0.0.1:" + port + " is not on the allowlist");
        ImageFetcher defaultPortOnly = new ImageFetcher(FetchPolicy.builder().allow("http://127.0.0.1").allowPrivateAddresses(true).build());
        assertRefused(() -> defaultPortOnly.fetch(base + "/images/cat.png"), Reason.URI_NOT_ALLOWED, "is not on the allowlist");
        ImageFetcher httpsOnly = new ImageFetcher(FetchPolicy.builder().allow("https://127.0.0.1:*").allowPrivateAddresses(true).build());
        assertRefused(() -> httpsOnly.fetch(base + "/images/cat.png"), Reason.URI_NOT_ALLOWED, "is not on the allowlist");

        ImageFetcher imagesOnly = new ImageFetcher(FetchPolicy.builder().allow("http://127.0.0.1:*/images/").allowPrivateAddresses(true).build());
        assertThat(imagesOnly.fetch(base + "/images/cat.png")).isEqualTo(imageBytes);
        assertRefused(() -> imagesOnly.fetch(base + "/missing"), Reason.URI_NOT_ALLOWED, "is not on the allowlist");
        assertRefused(() -> imagesOnly.fetch(base + "/images/../missing"), Reason.URI_NOT_ALLOWED, "is not on the allowlist");
        assertRefused(() -> imagesOnly.fetch(base + "/images/%2e%2e/missing"), Reason.URI_NOT_ALLOWED, "dot segments");
        assertRefused(() -> imagesOnly.fetch("http://user:pw@127.0.0.1:" + port + "/images/cat.png"), Reason.URI_NOT_ALLOWED, "credentials");

        ImageFetcher wildcard = new ImageFetcher(FetchPolicy.builder().allow("https://*.example.com").build(),
                host -> new InetAddress[] {InetAddress.getByName("10.0.0.1")});
        // Passing the allowlist is shown by reaching the address check.
        assertRefused(() -> wildcard.fetch("https://cdn.example.com/a.jpg"), Reason.URI_NOT_ALLOWED, "resolves to a private address");
        assertRefused(() -> wildcard.fetch("https://example.com.evil.org/a.jpg"), Reason.URI_NOT_ALLOWED, "is not on the allowlist");
        assertRefused(() -> wildcard.fetch("https://evilexample.com/a.jpg"), Reason.URI_NOT_ALLOWED, "is not on the allowlist");
    }

    @Test
    void non2xxStatusesAreFetchFailures() {
        assertRefused(() -> local().fetch(base + "/missing"), Reason.FETCH_FAILED, "HTTP status 404, expected 2xx");
        assertRefused(() -> local().fetch(base + "/broken"), Reason.FETCH_FAILED, "HTTP status 500, expected 2xx");
    }

    @Test
    void theByteLimitHoldsWithAndWithoutContentLength() throws Exception {
        ImageFetcher small = local(FetchPolicy.builder().maxBytes(4000));
        assertRefused(() -> small.fetch(base + "/big-declared"), Reason.TOO_LARGE, "Content-Length 5000 bytes, the limit is 4000");
        assertRefused(() -> small.fetch(base + "/big-chunked"), Reason.TOO_LARGE, "more than 4000 bytes");
        assertThat(local(FetchPolicy.builder().maxBytes(5000)).fetch(base + "/big-chunked")).hasSize(5000);
    }

    @Test
    void redirectsAreFollowedOnlyToAllowedTargets() throws Exception {
        assertThat(local().fetch(base + "/redirect-ok")).isEqualTo(imageBytes);
        assertThat(local().fetch(base + "/redirect-absolute")).isEqualTo(imageBytes);
        assertRefused(() -> local().fetch(base + "/redirect-localhost"), Reason.URI_NOT_ALLOWED, "http://localhost:");
        assertRefused(() -> local(FetchPolicy.builder().allow("file://" + IMAGE.getParent().toAbsolutePath())).fetch(base + "/redirect-file"),
                Reason.URI_NOT_ALLOWED, "to scheme 'file'");
        // The first hop passes (127.0.0.1 is faked as a public address), the redirect target is refused by address.
        ImageFetcher withMetadataHost = new ImageFetcher(
                FetchPolicy.builder().allow("http://127.0.0.1:*").allow("http://169.254.169.254").build(),
                host -> new InetAddress[] {InetAddress.getByName(host.equals("127.0.0.1") ? "93.184.216.34" : host)});
        assertRefused(() -> withMetadataHost.fetch(base + "/redirect-metadata"), Reason.URI_NOT_ALLOWED,
                "169.254.169.254 resolves to a cloud-metadata address");
        assertRefused(() -> local().fetch(base + "/loop"), Reason.FETCH_FAILED, "more than 3 redirects");
        assertRefused(() -> local(FetchPolicy.builder().maxRedirects(0)).fetch(base + "/redirect-ok"), Reason.FETCH_FAILED, "more than 0 redirects");
        assertRefused(() -> local().fetch(base + "/no-location"), Reason.FETCH_FAILED, "HTTP 302 without a Location header");
    }

    @Test
    void slowServersTimeOut() {
        ImageFetcher impatient = local(FetchPolicy.builder().readTimeout(Duration.ofMillis(200)));
        long t0 = System.nanoTime();
        assertRefused(() -> impatient.fetch(base + "/slow"), Reason.FETCH_FAILED, "timed out");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(1400));
    }

    @Test
    void filesAreReadOnlyUnderAllowedDirectories(@TempDir Path tmp) throws Exception {
        Path allowed = Files.createDirectories(tmp.resolve("images"));
        Path outside = Files.createDirectories(tmp.resolve("secret"));
        Files.write(allowed.resolve("cat.png"), imageBytes);
        Files.writeString(outside.resolve("passwd"), "root:x:0:0");
        Files.createSymbolicLink(allowed.resolve("escape.png"), outside.resolve("passwd"));
        Files.write(allowed.resolve("big.png"), new byte[5000]);
        ImageFetcher fetcher = new ImageFetcher(FetchPolicy.builder().allow(allowed.toUri().toString()).maxBytes(4000).build());

        assertThat(fetcher.fetch(allowed.resolve("cat.png").toUri().toString())).isEqualTo(imageBytes);
        assertThat(fetcher.fetch("file://" + allowed + "/cat.png")).isEqualTo(imageBytes);
        assertRefused(() -> fetcher.fetch(outside.resolve("passwd").toUri().toString()), Reason.URI_NOT_ALLOWED, "not under an allowed file directory");
        assertRefused(() -> fetcher.fetch("file://" + allowed + "/../secret/passwd"), Reason.URI_NOT_ALLOWED, "not under an allowed file directory");
        assertRefused(() -> fetcher.fetch(allowed.resolve("escape.png").toUri().toString()), Reason.URI_NOT_ALLOWED, "not under an allowed file directory");
        assertRefused(() -> fetcher.fetch(allowed.resolve("nope.png").toUri().toString()), Reason.FETCH_FAILED, "no such file");
        assertRefused(() -> fetcher.fetch(outside.resolve("nope.png").toUri().toString()), Reason.URI_NOT_ALLOWED, "not under an allowed");
        assertRefused(() -> fetcher.fetch(allowed.resolve("big.png").toUri().toString()), Reason.TOO_LARGE, "5000 bytes, the limit is 4000");
        assertRefused(() -> fetcher.fetch(allowed.toUri().toString()), Reason.FETCH_FAILED, "not a regular file");
        assertRefused(() -> fetcher.fetch("file://otherhost" + allowed + "/cat.png"), Reason.URI_NOT_ALLOWED, "expected file:///absolute/path");
    }

    @Test
    void policiesAreValidatedWhenBuilt() {
        assertThatThrownBy(() -> FetchPolicy.builder().allow("ftp://files.example.com").build())
                .hasMessage("allowlist entry 'ftp://files.example.com' has scheme 'ftp', expected http, https or file");
        assertThatThrownBy(() -> FetchPolicy.builder().allow("images.example.com").build())
                .hasMessageContaining("allowlist entry 'images.example.com' has scheme ''");
        assertThatThrownBy(() -> FetchPolicy.builder().allow("file:///").build())
                .hasMessageContaining("must name a directory other than /");
        assertThatThrownBy(() -> FetchPolicy.builder().allow("https://user@images.example.com").build())
                .hasMessageContaining("must not have user info");
        assertThatThrownBy(() -> FetchPolicy.builder().maxBytes(0).build()).hasMessage("maxBytes must be >= 1, got 0");
        assertThatThrownBy(() -> FetchPolicy.builder().readTimeout(Duration.ZERO).build()).hasMessage("readTimeout must be positive, got PT0S");
        assertThatThrownBy(() -> FetchPolicy.builder().maxRedirects(-1).build()).hasMessage("maxRedirects must be >= 0, got -1");
        FetchPolicy defaults = FetchPolicy.none();
        assertThat(defaults.allowlist()).isEmpty();
        assertThat(defaults.allowPrivateAddresses()).isFalse();
        assertThat(defaults.maxBytes()).isEqualTo(20L * 1024 * 1024);
    }

    @Test
    void theDeadlineCoversTheStatusLineAndHeadersOfATricklingServer() throws Exception {
        try (HeaderTrickler trickler = HeaderTrickler.start(Duration.ofSeconds(8))) {
            ImageFetcher fetcher = local(FetchPolicy.builder().totalTimeout(Duration.ofMillis(1000)));
            long t0 = System.nanoTime();
            assertRefused(() -> fetcher.fetch("http://127.0.0.1:" + trickler.port() + "/cat.png"),
                    Reason.FETCH_FAILED, "took longer than the fetch deadline PT1S");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(2000));
        }
    }

    @Test
    void reasonsAreDeadLetterReasons() {
        for (Reason r : Reason.values()) {
            assertThat(DeadLetterReason.valueOf(r.name())).hasToString(r.name());
        }
    }
}
