package dev.siglipstream.testutils;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A standalone Flink session cluster as users run it: a JobManager
 * ({@code StandaloneSessionClusterEntrypoint}) and TaskManagers ({@code TaskManagerRunner}) in JVMs of their
 * own, on the class path of a Flink distribution's {@code lib/} (resolved by Maven into
 * {@code target/flink-cluster-classpath.txt}: Flink's runtime, client and log4j, none of the job's libraries),
 * plus the jars of {@code extraLib} (a custom image's additions to {@code lib/}). Jobs are submitted, cancelled
 * and stopped with Flink's command-line client ({@code CliFrontend}) in a JVM of its own, and watched on the
 * REST API.
 */
public final class StandaloneFlinkCluster implements AutoCloseable {
    /** Flink's own list of JVM options for Java 17 (its config.yaml's {@code env.java.default-opts.all}). */
    public static final List<String> JAVA17_OPENS = List.of(
            "--add-exports=java.base/sun.net.util=ALL-UNNAMED", "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
            "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.text=ALL-UNNAMED",
            "--add-opens=java.base/java.time=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");
    private static final Path CLASSPATH_FILE = Path.of("target/flink-cluster-classpath.txt");
    private static final Pattern JOB_ID = Pattern.compile("JobID ([0-9a-f]{32})");
    private static final Pattern SAVEPOINT = Pattern.compile("Savepoint completed\\. Path: (\\S+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path home;
    private final Path conf;
    private final String classPath;
    private final int restPort;
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<Process> taskManagers = new ArrayList<>();
    private Process jobManager;
    private int tmCounter;

    /**
     * Writes the cluster's {@code config.yaml} under {@code home} and starts the JobManager and one TaskManager.
     *
     * @param extraLib jars added to {@code lib/} (empty for a stock distribution)
     * @param settings extra {@code config.yaml} entries (e.g. {@code classloader.parent-first-patterns.additional})
     */
    public static StandaloneFlinkCluster start(Path home, List<Path> extraLib, Map<String, String> settings)
            throws IOException {
        StandaloneFlinkCluster cluster = new StandaloneFlinkCluster(home, extraLib, settings);
        try {
            cluster.jobManager = cluster.launch("jobmanager",
                    "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", "768m");
            cluster.awaitRest(Duration.ofMinutes(3));
            cluster.startTaskManager();
            return cluster;
        } catch (IOException | RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    private StandaloneFlinkCluster(Path home, List<Path> extraLib, Map<String, String> settings) throws IOException {
        if (!Files.isRegularFile(CLASSPATH_FILE)) {
            throw new IllegalStateException(CLASSPATH_FILE + " is missing: it is written by the build "
                    + "(maven-dependency-plugin, execution flink-cluster-classpath); run ./mvnw test-compile");
        }
        this.home = home;
        this.conf = Files.createDirectories(home.resolve("conf"));
        Files.createDirectories(home.resolve("log"));
        List<String> cp = new ArrayList<>(Arrays.asList(Files.readString(CLASSPATH_FILE).trim().split(java.io.File.pathSeparator)));
        extraLib.forEach(p -> cp.add(p.toAbsolutePath().toString()));
        this.classPath = String.join(java.io.File.pathSeparator, cp);
        this.restPort = freePort();
        StringBuilder yaml = new StringBuilder();
        line(yaml, "jobmanager.rpc.address", "localhost");
        line(yaml, "jobmanager.rpc.port", String.valueOf(freePort()));
        line(yaml, "jobmanager.bind-host", "localhost");
        line(yaml, "jobmanager.memory.process.size", "768m");
        line(yaml, "rest.address", "localhost");
        line(yaml, "rest.bind-address", "localhost");
        line(yaml, "rest.port", String.valueOf(restPort));
        line(yaml, "taskmanager.host", "localhost");
        line(yaml, "taskmanager.bind-host", "localhost");
        line(yaml, "taskmanager.numberOfTaskSlots", "2");
        // What Flink's start scripts derive from taskmanager.memory.process.size and pass to the JVM: a
        // TaskManagerRunner started directly needs every component set.
        line(yaml, "taskmanager.cpu.cores", "2");
        line(yaml, "taskmanager.memory.framework.heap.size", "128m");
        line(yaml, "taskmanager.memory.task.heap.size", "384m");
        line(yaml, "taskmanager.memory.framework.off-heap.size", "128m");
        line(yaml, "taskmanager.memory.task.off-heap.size", "64m");
        line(yaml, "taskmanager.memory.network.min", "64m");
        line(yaml, "taskmanager.memory.network.max", "64m");
        line(yaml, "taskmanager.memory.managed.size", "0m");
        line(yaml, "taskmanager.memory.jvm-metaspace.size", "256m");
        line(yaml, "taskmanager.memory.jvm-overhead.min", "192m");
        line(yaml, "taskmanager.memory.jvm-overhead.max", "192m");
        line(yaml, "parallelism.default", "1");
        // A killed TaskManager is noticed within seconds, not the default 50 s.
        line(yaml, "heartbeat.interval", "1000");
        line(yaml, "heartbeat.timeout", "5000");
        line(yaml, "restart-strategy.type", "fixed-delay");
        line(yaml, "restart-strategy.fixed-delay.attempts", "20");
        line(yaml, "restart-strategy.fixed-delay.delay", "1s");
        line(yaml, "execution.checkpointing.dir", home.resolve("checkpoints").toUri().toString());
        line(yaml, "execution.checkpointing.savepoint-dir", home.resolve("savepoints").toUri().toString());
        settings.forEach((k, v) -> line(yaml, k, v));
        Files.writeString(conf.resolve("config.yaml"), yaml.toString());
        Files.writeString(conf.resolve("log4j.properties"), """
                rootLogger.level = INFO
                rootLogger.appenderRef.file.ref = file
                appender.file.type = File
                appender.file.name = file
                appender.file.fileName = ${sys:log.file}
                appender.file.layout.type = PatternLayout
                appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-40c{1.} %t - %m%n
                logger.kafka.name = org.apache.kafka
                logger.kafka.level = WARN
                """);
    }

    private static void line(StringBuilder yaml, String key, String value) {
        yaml.append(key).append(": \"").append(value.replace("\"", "\\\"")).append("\"\n");
    }

    /** Starts one more TaskManager JVM; returns its process. */
    public synchronized Process startTaskManager() throws IOException {
        Process tm = launch("taskmanager-" + (++tmCounter), "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", "512m");
        taskManagers.add(tm);
        int expected = (int) taskManagers.stream().filter(Process::isAlive).count();
        await(() -> registeredTaskManagers() >= expected, Duration.ofMinutes(3),
                () -> "TaskManager " + tmCounter + " did not register; see " + logFile("taskmanager-" + tmCounter));
        return tm;
    }

    /** The TaskManager started last. */
    public synchronized Process taskManager() {
        return taskManagers.get(taskManagers.size() - 1);
    }

    /** kill -9 of {@code tm}: no shutdown hooks, no goodbye to the JobManager. */
    public void kill(Process tm) throws InterruptedException {
        tm.destroyForcibly();
        tm.waitFor(30, TimeUnit.SECONDS);
    }

    private Process launch(String name, String mainClass, String heap) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.add("-Xmx" + heap);
        cmd.add("-XX:MaxMetaspaceSize=256m");
        cmd.add("-XX:MaxDirectMemorySize=256m");
        cmd.add("-XX:+UseSerialGC");
        cmd.addAll(JAVA17_OPENS);
        cmd.add("-Dlog.file=" + logFile(name));
        cmd.add("-Dlog4j.configurationFile=" + conf.resolve("log4j.properties").toUri());
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(mainClass);
        cmd.add("--configDir");
        cmd.add(conf.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(home.resolve("log/" + name + ".out").toFile());
        pb.environment().put("FLINK_CONF_DIR", conf.toString());
        return pb.start();
    }

    public Path logFile(String name) {
        return home.resolve("log/" + name + ".log");
    }

    /**
     * Runs Flink's command-line client ({@code flink ARGS}) in its own JVM and returns its output.
     *
     * @throws AssertionError when it exits non-zero
     */
    public String flink(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.add("-Xmx512m");
        cmd.addAll(JAVA17_OPENS);
        cmd.add("-Dlog.file=" + logFile("client"));
        cmd.add("-Dlog4j.configurationFile=" + conf.resolve("log4j.properties").toUri());
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add("org.apache.flink.client.cli.CliFrontend");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("FLINK_CONF_DIR", conf.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("flink " + String.join(" ", args) + " did not finish:\n" + out);
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("flink " + String.join(" ", args) + " exited " + p.exitValue() + ":\n" + out);
        }
        return out;
    }

    /** {@code flink run -d ARGS}; returns the job id the client printed. */
    public String submit(String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("run", "-d"));
        all.addAll(List.of(args));
        String out = flink(all.toArray(String[]::new));
        Matcher m = JOB_ID.matcher(out);
        if (!m.find()) {
            throw new AssertionError("no job id in the output of flink run:\n" + out);
        }
        return m.group(1);
    }

    /** {@code flink stop --savepointPath DIR ID}; returns the savepoint's path. */
    public String stopWithSavepoint(String jobId) throws IOException, InterruptedException {
        String out = flink("stop", "--type", "canonical", "--savepointPath", home.resolve("savepoints").toUri().toString(), jobId);
        Matcher m = SAVEPOINT.matcher(out);
        if (!m.find()) {
            throw new AssertionError("no savepoint path in the output of flink stop:\n" + out);
        }
        awaitJobStatus(jobId, "FINISHED", Duration.ofSeconds(60));
        return m.group(1);
    }

    public void cancel(String jobId) throws IOException, InterruptedException {
        flink("cancel", jobId);
        awaitJobStatus(jobId, "CANCELED", Duration.ofSeconds(60));
    }

    /** GET {@code /path} of the REST API. */
    public JsonNode rest(String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + restPort + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IOException("GET " + path + ": HTTP " + r.statusCode() + " " + r.body());
            }
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public String jobStatus(String jobId) {
        return rest("/jobs/" + jobId).path("state").asText();
    }

    /** Waits until every vertex of the job runs all its subtasks (so records flow). */
    public void awaitRunning(String jobId, Duration timeout) {
        await(() -> {
            JsonNode job = rest("/jobs/" + jobId);
            String state = job.path("state").asText();
            if (state.equals("FAILED") || state.equals("CANCELED") || state.equals("FINISHED")) {
                throw new AssertionError("job " + jobId + " is " + state + ": " + rest("/jobs/" + jobId + "/exceptions"));
            }
            if (!state.equals("RUNNING")) return false;
            for (JsonNode v : job.path("vertices")) {
                if (v.path("tasks").path("RUNNING").asInt() != v.path("parallelism").asInt()) return false;
            }
            return true;
        }, timeout, () -> "job " + jobId + " is not running: " + rest("/jobs/" + jobId + "/exceptions"));
    }

    public void awaitJobStatus(String jobId, String status, Duration timeout) {
        await(() -> jobStatus(jobId).equals(status), timeout,
                () -> "job " + jobId + " is " + jobStatus(jobId) + ", not " + status);
    }

    /** The job's root exceptions as the REST API gives them (empty when it never failed). */
    public String exceptions(String jobId) {
        return rest("/jobs/" + jobId + "/exceptions").toString();
    }

    private int registeredTaskManagers() {
        try {
            return rest("/taskmanagers").path("taskmanagers").size();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private void awaitRest(Duration timeout) {
        await(() -> registeredTaskManagers() >= 0, timeout, () -> "the JobManager's REST API did not come up; see "
                + logFile("jobmanager"));
    }

    private static void await(BooleanSupplier condition, Duration timeout, java.util.function.Supplier<String> message) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(message.get());
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * Live user-code class loaders of a JVM after a full GC ({@code jcmd PID GC.class_histogram}, which collects
     * first): instances of Flink's {@code ChildFirstClassLoader} and {@code ParentFirstClassLoader}.
     */
    public static int userCodeClassLoaders(Process jvm) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(jcmd(), String.valueOf(jvm.pid()), "GC.class_histogram").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        int count = 0;
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4 && (f[3].equals("org.apache.flink.util.ChildFirstClassLoader")
                    || f[3].equals("org.apache.flink.util.FlinkUserCodeClassLoaders$ParentFirstClassLoader"))) {
                count += Integer.parseInt(f[1]);
            }
        }
        if (!out.contains("Total")) {
            throw new IOException("jcmd GC.class_histogram gave no histogram:\n" + out);
        }
        return count;
    }

    /** Resident set size of a process in MiB ({@code VmRSS} of /proc/PID/status). */
    public static long rssMiB(Process p) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D+", "")) / 1024;
            }
        }
        throw new IOException("no VmRSS for pid " + p.pid());
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String jcmd() {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        return Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd";
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public synchronized void close() {
        for (Process tm : taskManagers) {
            tm.destroyForcibly();
        }
        if (jobManager != null) {
            jobManager.destroyForcibly();
        }
        for (Process p : taskManagers) {
            waitQuietly(p);
        }
        if (jobManager != null) {
            waitQuietly(jobManager);
        }
    }

    private static void waitQuietly(Process p) {
        try {
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
