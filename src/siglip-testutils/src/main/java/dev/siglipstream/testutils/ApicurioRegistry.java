package dev.siglipstream.testutils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real schema registry for the tests: Apicurio Registry 2.4.2.Final (in-memory H2 storage), a
 * Quarkus application built from Maven Central artifacts by {@code src/test/apicurio/pom.xml} into
 * {@code target/apicurio-registry/} (on first use, about 2-3 minutes and 130 MB of jars; offline
 * afterwards), run as a child JVM on a free port of 127.0.0.1. Its Confluent-compatible API is
 * {@link #url()} ({@code /apis/ccompat/v7}).
 *
 * <p>Starting takes 10-40 s on two busy cores and the process holds about 200 MB, so the suite
 * shares one: {@link #shared()} starts it once per test JVM and a shutdown hook stops it. Tests
 * keep apart by subject names of their own.
 */
public final class ApicurioRegistry implements AutoCloseable {
    private static final Path ROOT = TestData.root();
    private static final String POM = "src/siglip-testutils/apicurio/pom.xml";
    private static final Path HOME = ROOT.resolve("target/apicurio-registry");
    private static final Path JAR = HOME.resolve("apicurio-registry-for-tests-2.4.2-runner.jar");
    private static final Duration START_TIMEOUT = Duration.ofMinutes(4);
    private static ApicurioRegistry shared;

    private final int port;
    private Process process;
    private Duration startTime;

    private ApicurioRegistry(int port) {
        this.port = port;
    }

    /** The suite's registry, started on first use. */
    public static synchronized ApicurioRegistry shared() {
        if (shared == null) {
            ApicurioRegistry r = new ApicurioRegistry(freePort());
            r.start();
            Runtime.getRuntime().addShutdownHook(new Thread(r::close, "apicurio-registry-stop"));
            shared = r;
        }
        return shared;
    }

    /** Base URL of the Confluent-compatible API. */
    public String url() {
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }

    public int port() {
        return port;
    }

    /** How long the last start took, until the API answered. */
    public Duration startTime() {
        return startTime;
    }

    /** Starts the process (building the application first if needed) and waits for the API. */
    public synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        build();
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + port, "-Dquarkus.log.level=WARN",
                "-jar", JAR.toString()));
        Path log = HOME.resolve("registry-" + port + ".log");
        long begin = System.nanoTime();
        try {
            process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + cmd, e);
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest probe = HttpRequest.newBuilder(URI.create(url() + "/subjects")).timeout(Duration.ofSeconds(5)).build();
        long deadline = begin + START_TIMEOUT.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Apicurio Registry exited with " + process.exitValue() + ": " + tail(log));
            }
            try {
                if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    break;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (System.nanoTime() > deadline) {
                close();
                throw new IllegalStateException("Apicurio Registry did not answer within " + START_TIMEOUT + ": " + tail(log));
            }
            sleep(200);
        }
        startTime = Duration.ofNanos(System.nanoTime() - begin);
        System.out.printf("Apicurio Registry 2.4.2.Final up on port %d in %.1f s (pid %d, %d MB resident)%n", port,
                startTime.toMillis() / 1000.0, process.pid(), residentMb());
    }

    /** Resident memory of the registry process in MB (Linux), or -1. */
    public long residentMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    @Override
    public synchronized void close() {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    /** Builds the registry application once: offline first (the usual case after one build), then online. */
    private static synchronized void build() {
        if (Files.isRegularFile(JAR)) {
            return;
        }
        try {
            Files.createDirectories(HOME);
            Path log = HOME.resolve("build.log");
            for (boolean offline : new boolean[] {true, false}) {
                List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("mvnw").toString(), "-B", "-ntp", "-f",
                        ROOT.resolve(POM).toString(), "package", "-DskipTests"));
                if (offline) {
                    cmd.add("-o");
                }
                Process p = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true)
                        .redirectOutput(log.toFile()).start();
                if (!p.waitFor(15, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    throw new IllegalStateException("building Apicurio Registry took over 15 minutes: " + tail(log));
                }
                if (p.exitValue() == 0 && Files.isRegularFile(JAR)) {
                    return;
                }
            }
            throw new IllegalStateException("cannot build Apicurio Registry with " + ROOT.resolve(POM)
                    + ": " + tail(log));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
