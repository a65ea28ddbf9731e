package dev.siglipstream.testutils;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A loopback stand-in for the Hugging Face Hub: serves model folders under the Hub's URL layout
 * ({@code api/models/.../revision/...}, {@code .../resolve/...}) with the Hub's headers, and can be
 * told to misbehave (require a token, redirect LFS files to a second "CDN" server, cut or stall a
 * transfer once). Records every request it receives on either server.
 *
 * <pre>{@code
 * try (FakeHubServer hub = FakeHubServer.start()) {
 *     hub.addRevision(FakeHubServer.REPO_ID, FakeHubServer.COMMIT, FakeHubServer.tinyModelFolder(), "main");
 *     HubClient client = HubClient.builder().endpoint(hub.endpoint()).cacheDir(tmp).build();
 * }
 * }</pre>
 */
public final class FakeHubServer implements AutoCloseable {
    public static final String REPO_ID = "Xenova/siglip-tiny";
    public static final String COMMIT = "5d1a9c0f3b7e2a4c6d8e0f1a2b3c4d5e6f708192";

    /** One request as the server saw it; {@code server} is "hub" or "cdn". */
    public record Recorded(String server, String method, String path, String range, String authorization, String userAgent) {}

    private record Entry(byte[] bytes, String sha256) {}

    private record Interruption(long afterBytes, long stallMillis) {}

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    private final HttpServer hub;
    private final HttpServer cdn;
    private final ExecutorService executor;
    private final ObjectMapper json = new ObjectMapper();
    /** repo → ref name → commit. */
    private final Map<String, Map<String, String>> refs = new ConcurrentHashMap<>();
    /** repo → commit → file → content. */
    private final Map<String, Map<String, Map<String, Entry>>> commits = new ConcurrentHashMap<>();
    private final Map<String, Interruption> interruptions = new ConcurrentHashMap<>();
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private volatile String requiredToken;
    private volatile boolean redirectToCdn;
    private volatile long headerDelayMillis;
    private volatile boolean ignoreRanges;

    private FakeHubServer() throws IOException {
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-hub");
            t.setDaemon(true);
            return t;
        });
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        hub = HttpServer.create(loopback, 0);
        cdn = HttpServer.create(loopback, 0);
        hub.createContext("/", ex -> handle(ex, "hub"));
        cdn.createContext("/", ex -> handle(ex, "cdn"));
        hub.setExecutor(executor);
        cdn.setExecutor(executor);
        hub.start();
        cdn.start();
    }

    public static FakeHubServer start() throws IOException {
        return new FakeHubServer();
    }

    /** The vendored tiny SigLIP export, found through the class path rather than a relative path. */
    public static Path tinyModelFolder() {
        try {
            return Path.of(Objects.requireNonNull(FakeHubServer.class.getResource("/conformance/models/siglip-tiny/config.json"),
                    "conformance/models/siglip-tiny missing from test resources").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Serves {@code folder} (read now) as {@code repoId} at {@code commit}, reachable also under {@code refNames}. */
    public FakeHubServer addRevision(String repoId, String commit, Path folder, String... refNames) throws IOException {
        Map<String, Entry> files = new LinkedHashMap<>();
        try (Stream<Path> walk = Files.walk(folder)) {
            for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                byte[] bytes = Files.readAllBytes(p);
                files.put(folder.relativize(p).toString().replace('\\', '/'), new Entry(bytes, sha256(bytes)));
            }
        }
        commits.computeIfAbsent(repoId, k -> new ConcurrentHashMap<>()).put(commit, files);
        Map<String, String> repoRefs = refs.computeIfAbsent(repoId, k -> new ConcurrentHashMap<>());
        for (String ref : refNames) {
            repoRefs.put(ref, commit);
        }
        return this;
    }

    /** Answer 401 unless {@code Authorization: Bearer <token>} is sent to the hub server. */
    public FakeHubServer requireToken(String token) {
        this.requiredToken = token;
        return this;
    }

    /** Answer {@code resolve} of LFS files (*.onnx, spiece.model) with a 302 to the second, "CDN", server. */
    public FakeHubServer redirectToCdn(boolean redirect) {
        this.redirectToCdn = redirect;
        return this;
    }

    /** The next GET body of {@code filename} closes the connection after {@code afterBytes} bytes. */
    public FakeHubServer cutOnce(String filename, long afterBytes) {
        interruptions.put(filename, new Interruption(afterBytes, 0));
        return this;
    }

    /** The next GET body of {@code filename} pauses {@code stallMillis} after {@code afterBytes} bytes. */
    public FakeHubServer stallOnce(String filename, long afterBytes, long stallMillis) {
        interruptions.put(filename, new Interruption(afterBytes, stallMillis));
        return this;
    }

    /** Answer Range requests with the whole file and 200, as servers without range support do. */
    public FakeHubServer ignoreRanges(boolean ignore) {
        this.ignoreRanges = ignore;
        return this;
    }

    /** Wait this long before answering any request (for timeouts). */
    public FakeHubServer delayResponses(long millis) {
        this.headerDelayMillis = millis;
        return this;
    }

    public String endpoint() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    public String cdnEndpoint() {
        return "http://127.0.0.1:" + cdn.getAddress().getPort();
    }

    /** The bytes served for {@code filename} of {@code repoId} at {@code commit}. */
    public byte[] content(String repoId, String commit, String filename) {
        return commits.get(repoId).get(commit).get(filename).bytes();
    }

    /** The ETag (sha256 of the content) served for a file. */
    public String etag(String repoId, String commit, String filename) {
        return commits.get(repoId).get(commit).get(filename).sha256();
    }

    public List<Recorded> requests() {
        return List.copyOf(requests);
    }

    public int requestCount() {
        return requests.size();
    }

    /** Requests whose method is GET and path contains {@code /resolve/} or {@code /cdn/}: the actual downloads. */
    public List<Recorded> downloads() {
        return requests.stream().filter(r -> r.method().equals("GET") && (r.path().contains("/resolve/") || r.path().startsWith("/cdn/")))
                .toList();
    }

    public void clearRequests() {
        requests.clear();
    }

    @Override
    public void close() {
        // stop() can wait for the dispatcher's select timeout; stopping both at once halves that.
        Thread cdnStopper = new Thread(() -> cdn.stop(0), "fake-hub-cdn-stop");
        cdnStopper.start();
        hub.stop(0);
        try {
            cdnStopper.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        executor.shutdownNow();
    }

    private void handle(HttpExchange ex, String server) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            requests.add(new Recorded(server, ex.getRequestMethod(), path, ex.getRequestHeaders().getFirst("Range"), auth,
                    ex.getRequestHeaders().getFirst("User-Agent")));
            if (headerDelayMillis > 0) {
                sleep(headerDelayMillis);
            }
            if (server.equals("cdn")) {
                serveCdn(ex, path);
                return;
            }
            if (requiredToken != null && !("Bearer " + requiredToken).equals(auth)) {
                ex.getResponseHeaders().set("X-Error-Message", "Access to this model is restricted. You must be authenticated.");
                send(ex, 401, new byte[0]);
                return;
            }
            if (path.startsWith("/api/models/")) {
                serveListing(ex, path.substring("/api/models/".length()));
            } else {
                serveResolve(ex, path);
            }
        } catch (IOException | RuntimeException e) {
            // A cut connection ends here on purpose; anything else is a bug in the test server.
            if (!(e instanceof IOException)) {
                throw e;
            }
        }
    }

    private void serveListing(HttpExchange ex, String rest) throws IOException {
        int at = rest.indexOf("/revision/");
        if (at < 0) {
            error(ex, 404, "RepoNotFound", "no such API path");
            return;
        }
        String repo = rest.substring(0, at);
        String revision = decode(rest.substring(at + "/revision/".length()));
        String commit = commitOf(ex, repo, revision);
        if (commit == null) {
            return;
        }
        ObjectNode root = json.createObjectNode();
        root.put("id", repo);
        root.put("modelId", repo);
        root.put("sha", commit);
        ArrayNode siblings = root.putArray("siblings");
        commits.get(repo).get(commit).keySet().forEach(f -> siblings.addObject().put("rfilename", f));
        ex.getResponseHeaders().set("Content-Type", "application/json");
        send(ex, 200, json.writeValueAsBytes(root));
    }

    private void serveResolve(HttpExchange ex, String path) throws IOException {
        String[] parts = path.substring(1).split("/");
        if (parts.length < 5 || !parts[2].equals("resolve")) {
            error(ex, 404, "RepoNotFound", "not a resolve URL");
            return;
        }
        String repo = parts[0] + "/" + parts[1];
        String commit = commitOf(ex, repo, decode(parts[3]));
        if (commit == null) {
            return;
        }
        List<String> segments = new ArrayList<>();
        for (int i = 4; i < parts.length; i++) {
            segments.add(decode(parts[i]));
        }
        String filename = String.join("/", segments);
        Entry entry = commits.get(repo).get(commit).get(filename);
        if (entry == null) {
            error(ex, 404, "EntryNotFound", filename + " does not exist on \"" + commit + "\"");
            return;
        }
        boolean lfs = filename.endsWith(".onnx") || filename.endsWith(".model");
        var headers = ex.getResponseHeaders();
        headers.set("X-Repo-Commit", commit);
        if (lfs) {
            headers.set("X-Linked-Etag", "\"" + entry.sha256() + "\"");
            headers.set("X-Linked-Size", Long.toString(entry.bytes().length));
            headers.set("ETag", "\"" + entry.sha256() + "\"");
        } else {
            // The Hub marks non-LFS ETags weak.
            headers.set("ETag", "W/\"" + entry.sha256() + "\"");
        }
        if (lfs && redirectToCdn) {
            headers.set("Location", cdnEndpoint() + "/cdn/" + entry.sha256() + "?file=" + filename);
            send(ex, 302, new byte[0]);
            return;
        }
        serveBytes(ex, filename, entry.bytes());
    }

    private void serveCdn(HttpExchange ex, String path) throws IOException {
        String sha = path.substring(path.lastIndexOf('/') + 1);
        String query = ex.getRequestURI().getRawQuery();
        String filename = query != null && query.startsWith("file=") ? decode(query.substring(5)) : "";
        for (Map<String, Map<String, Entry>> byCommit : commits.values()) {
            for (Map<String, Entry> files : byCommit.values()) {
                for (Entry e : files.values()) {
                    if (e.sha256().equals(sha)) {
                        serveBytes(ex, filename, e.bytes());
                        return;
                    }
                }
            }
        }
        send(ex, 404, new byte[0]);
    }

    private void serveBytes(HttpExchange ex, String filename, byte[] bytes) throws IOException {
        boolean head = ex.getRequestMethod().equals("HEAD");
        int status = 200;
        int start = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && !ignoreRanges) {
            Matcher m = RANGE.matcher(range.strip());
            if (m.matches()) {
                long from = Long.parseLong(m.group(1));
                if (from >= bytes.length) {
                    ex.getResponseHeaders().set("Content-Range", "bytes */" + bytes.length);
                    send(ex, 416, new byte[0]);
                    return;
                }
                start = (int) from;
                status = 206;
                ex.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + (bytes.length - 1) + "/" + bytes.length);
            }
        }
        ex.getResponseHeaders().set("Accept-Ranges", "bytes");
        if (head) {
            ex.getResponseHeaders().set("Content-Length", Integer.toString(bytes.length));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        int length = bytes.length - start;
        Interruption interruption = interruptions.remove(filename);
        ex.sendResponseHeaders(status, length);
        OutputStream out = ex.getResponseBody();
        if (interruption == null) {
            out.write(bytes, start, length);
            return;
        }
        int first = (int) Math.min(interruption.afterBytes(), length);
        out.write(bytes, start, first);
        out.flush();
        if (interruption.stallMillis() > 0) {
            sleep(interruption.stallMillis());
            out.write(bytes, start + first, length - first);
            return;
        }
        // Closing with bytes missing makes the server drop the connection mid-body.
        throw new IOException("cut on purpose after " + first + " bytes");
    }

    private String commitOf(HttpExchange ex, String repo, String revision) throws IOException {
        Map<String, Map<String, Entry>> byCommit = commits.get(repo);
        if (byCommit == null) {
            error(ex, 404, "RepoNotFound", "Repository not found");
            return null;
        }
        String commit = byCommit.containsKey(revision) ? revision : refs.getOrDefault(repo, Map.of()).get(revision);
        if (commit == null) {
            error(ex, 404, "RevisionNotFound", "Invalid rev id: " + revision);
            return null;
        }
        return commit;
    }

    private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
        ex.getResponseHeaders().set("X-Error-Code", code);
        ex.getResponseHeaders().set("X-Error-Message", message);
        send(ex, status, ("{\"error\":\"" + message.replace("\"", "'") + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        if (ex.getRequestMethod().equals("HEAD") || body.length == 0) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Copies a folder (for tests that serve a modified model). */
    public static void copyFolder(Path from, Path to) {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
