package dev.siglipstream.testutils;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A headless Chromium driven over the DevTools protocol (a WebSocket from {@code java.net.http}), to
 * load a page, run JavaScript in it, act on its controls and take a screenshot. Started with the
 * flags of an isolated, offline-friendly run: no sandbox (root in CI), no GPU, no QUIC, no first-run,
 * background networking, component updates or sync, and a fresh profile folder.
 *
 * <pre>{@code
 * try (HeadlessChromium browser = HeadlessChromium.start(tmp, 1400, 1000)) {
 *     browser.open(page.toUri(), "document.body.dataset.ready === 'true'");
 *     long cards = browser.evaluate("document.querySelectorAll('.card').length").asLong();
 * }
 * }</pre>
 */
public final class HeadlessChromium implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration STEP = Duration.ofSeconds(30);

    private final Process process;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

    private HeadlessChromium(Process process, WebSocket socket) {
        this.process = process;
        this.socket = socket;
    }

    /** The Chromium executable: {@code $CHROME_BIN}, else chromium, chromium-browser or google-chrome on the PATH. */
    public static Optional<Path> find() {
        String env = System.getenv("CHROME_BIN");
        if (env != null && Files.isExecutable(Path.of(env))) return Optional.of(Path.of(env));
        String path = System.getenv().getOrDefault("PATH", "");
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Why the browser checks cannot run here, for an assumption message. */
    public static String whyMissing() {
        return "no Chromium on this machine (looked at $CHROME_BIN and chromium, chromium-browser, google-chrome on the PATH): "
                + "the page was not rendered; install Debian's chromium package (.ci/run does)";
    }

    /** Starts Chromium with a fresh profile in {@code workDir} and a window of the given size. */
    public static HeadlessChromium start(Path workDir, int width, int height) throws Exception {
        Path exe = find().orElseThrow(() -> new IllegalStateException(whyMissing()));
        Path profile = Files.createTempDirectory(workDir, "chromium-profile");
        Process p = new ProcessBuilder(exe.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--hide-scrollbars", "--remote-debugging-port=0", "--user-data-dir=" + profile,
                "--window-size=" + width + "," + height, "about:blank")
                .redirectErrorStream(true)
                .redirectOutput(workDir.resolve("chromium.log").toFile())
                .start();
        Path portFile = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + STEP.toNanos();
        while (!(Files.isRegularFile(portFile) && Files.readAllLines(portFile).size() >= 2)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IllegalStateException("Chromium did not open its DevTools port; log: "
                        + Files.readString(workDir.resolve("chromium.log")));
            }
            Thread.sleep(50);
        }
        int port = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
        HttpClient http = HttpClient.newHttpClient();
        String pageSocket = null;
        while (pageSocket == null) {
            JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            for (JsonNode t : targets) {
                if ("page".equals(t.path("type").asText())) pageSocket = t.path("webSocketDebuggerUrl").asText();
            }
            if (pageSocket == null) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("Chromium shows no page target: " + targets);
                Thread.sleep(50);
            }
        }
        HeadlessChromium[] self = new HeadlessChromium[1];
        WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(pageSocket), new WebSocket.Listener() {
            private final StringBuilder text = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                text.append(data);
                if (last) {
                    String message = text.toString();
                    text.setLength(0);
                    self[0].onMessage(message);
                }
                webSocket.request(1);
                return null;
            }
        }).get(STEP.toSeconds(), TimeUnit.SECONDS);
        self[0] = new HeadlessChromium(p, ws);
        return self[0];
    }

    private void onMessage(String message) {
        try {
            JsonNode n = JSON.readTree(message);
            if (n.has("id")) {
                CompletableFuture<JsonNode> f = pending.remove(n.get("id").asInt());
                if (f != null) {
                    if (n.has("error")) f.completeExceptionally(new IllegalStateException("DevTools error: " + n.get("error")));
                    else f.complete(n.get("result"));
                }
            }
        } catch (IOException e) {
            pending.values().forEach(f -> f.completeExceptionally(e));
        }
    }

    /** Sends one DevTools command and waits for its result. */
    public JsonNode send(String method, Map<String, ?> params) {
        int id = ids.incrementAndGet();
        ObjectNode msg = JSON.createObjectNode();
        msg.put("id", id);
        msg.put("method", method);
        msg.set("params", JSON.valueToTree(params));
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        try {
            socket.sendText(msg.toString(), true).get(STEP.toSeconds(), TimeUnit.SECONDS);
            return f.get(STEP.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(method + " failed: " + e.getMessage(), e);
        }
    }

    /** Evaluates a JavaScript expression in the page (promises awaited) and returns its value as JSON. */
    public JsonNode evaluate(String expression) {
        JsonNode r = send("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true, "awaitPromise", true));
        if (r.has("exceptionDetails")) {
            throw new IllegalStateException("JavaScript failed: " + r.get("exceptionDetails").toPrettyString());
        }
        return r.path("result").path("value");
    }

    /** Navigates and waits until {@code readyCondition} (a JavaScript expression) is true. */
    public void open(URI uri, String readyCondition) throws InterruptedException {
        send("Page.enable", Map.of());
        send("Page.navigate", Map.of("url", uri.toString()));
        waitFor(readyCondition);
    }

    /** Waits until a JavaScript expression is true in the page. */
    public void waitFor(String condition) throws InterruptedException {
        long deadline = System.nanoTime() + STEP.toNanos();
        while (true) {
            JsonNode v;
            try {
                v = evaluate("(() => { try { return !!(" + condition + "); } catch (e) { return false; } })()");
            } catch (IllegalStateException navigating) {
                v = null; // the old document went away mid-call
            }
            if (v != null && v.asBoolean()) return;
            if (System.nanoTime() > deadline) throw new IllegalStateException("timed out waiting for: " + condition);
            Thread.sleep(50);
        }
    }

    /** A PNG of the whole page (up to {@code maxHeight} pixels tall). */
    public void screenshot(Path png, int maxHeight) throws IOException {
        JsonNode size = evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]");
        Map<String, Object> clip = Map.of("x", 0, "y", 0, "width", size.get(0).asInt(),
                "height", Math.min(maxHeight, size.get(1).asInt()), "scale", 1);
        JsonNode shot = send("Page.captureScreenshot", Map.of("format", "png", "clip", clip, "captureBeyondViewport", true));
        Files.createDirectories(png.toAbsolutePath().getParent());
        Files.write(png, Base64.getDecoder().decode(shot.get("data").asText()));
    }

    @Override
    public void close() {
        try {
            send("Browser.close", Map.of());
        } catch (RuntimeException ignored) {
            // closing anyway
        }
        socket.abort();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try (Stream<ProcessHandle> children = process.descendants()) {
            children.forEach(ProcessHandle::destroyForcibly);
        }
    }
}
