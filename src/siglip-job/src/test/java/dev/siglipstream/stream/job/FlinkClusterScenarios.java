package dev.siglipstream.stream.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.siglipstream.testutils.KafkaFixture;
import dev.siglipstream.testutils.StandaloneFlinkCluster;
import dev.siglipstream.testutils.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shaded job JAR on a real standalone Flink session cluster (JobManager and TaskManager JVMs, Flink's
 * command-line client), scenario after scenario on one cluster, each checked id by id on the committed
 * (read_committed) output. Subclasses choose the cluster's {@code lib/} layout.
 *
 * <p>Run alone: {@code ./mvnw -B -ntp test -Dgroups=flink-cluster -Dtest='*FlinkClusterITCase'}.
 */
@Tag("flink-cluster")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class FlinkClusterScenarios {
    static final String MODEL = TestData.conformance("models/siglip-tiny").toString();
    static final int REDEPLOYS = 3;
    static final Duration OUTPUT_TIMEOUT = Duration.ofMinutes(3);

    @RegisterExtension
    static final KafkaFixture KAFKA = new KafkaFixture();

    /** target/flink-cluster/VARIANT: config, logs, checkpoints; kept after the run for a look at the logs. */
    Path dir;

    StandaloneFlinkCluster cluster;
    Path jobJar;
    Path labelSets;
    private final List<byte[]> images = JobHarness.images(8, 7);

    /** The variant's name in reports. */
    abstract String variant();

    /** Jars this variant adds to the cluster's lib/. */
    abstract List<Path> lib() throws IOException;

    /** config.yaml entries of this variant. */
    abstract Map<String, String> settings();

    @BeforeAll
    void startCluster() throws IOException {
        dir = Path.of("target/flink-cluster", variant()).toAbsolutePath();
        deleteRecursively(dir);
        jobJar = jobJar();
        labelSets = JobHarness.labelSetFile(Files.createDirectories(dir.resolve("job")), """
                label-sets:
                  - id: animals
                    labels: [cat, dog, bird]
                """);
        cluster = StandaloneFlinkCluster.start(dir.resolve("flink"), lib(), settings());
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void submitAndScore() throws Exception {
        String p = topics("submit");
        List<String> ids = produce(p, 0, 100);
        // a siglip.* key from the Flink configuration (flink run -D), not from the program arguments
        String job = runJob(p, ids, "-D", "siglip.scoring.default-threshold=0.3");
        JsonNode userConfig = cluster.rest("/jobs/" + job + "/config").path("execution-config").path("user-config");
        assertThat(userConfig.path("siglip.scoring.default-threshold").asText()).isEqualTo("0.3");
        assertThat(userConfig.path("siglip.kafka.output-topic").asText()).isEqualTo(p + "-labels");
        cluster.cancel(job);
    }

    @Test
    @Order(2)
    void cancelAndResubmitToTheSameTaskManager() throws Exception {
        Process tm = cluster.taskManager();
        List<String> figures = new ArrayList<>();
        List<Integer> loaders = new ArrayList<>();
        figures.add(figure("before", tm));
        for (int i = 1; i <= REDEPLOYS; i++) {
            String p = topics("redeploy" + i);
            String job = runJob(p, produce(p, 0, 50));
            cluster.cancel(job);
            assertThat(cluster.taskManager()).as("the same TaskManager JVM").isSameAs(tm);
            loaders.add(liveLoadersOnceReleased(tm, loadersKeptAfterCancel()));
            figures.add(figure("after redeploy " + i, tm));
        }
        System.out.printf("FlinkClusterITCase[%s] TaskManager %d, live user-code class loaders / RSS: %s%n",
                variant(), tm.pid(), String.join("; ", figures));
        // A cancelled job's user-code class loader must go: one left behind keeps its classes, its native libraries
        // and their memory for the life of the JVM, and (DJL's fixed path) makes the next job load a copy of its own.
        assertThat(loaders).as("live user-code class loaders after each cancel (redeploys 1..%d)", REDEPLOYS)
                .allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(loadersKeptAfterCancel()));
    }

    /** How many user-code class loaders this variant may keep alive after a cancel: none. */
    int loadersKeptAfterCancel() {
        return 0;
    }

    /**
     * Live user-code class loaders after a full GC, once Flink has released the cancelled job's (it does so when
     * the job's last slot on the TaskManager is freed, a moment after the job is CANCELED): polled for up to 30 s
     * while more than {@code kept} are alive.
     */
    static int liveLoadersOnceReleased(Process tm, int kept) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int live = StandaloneFlinkCluster.userCodeClassLoaders(tm);
        while (live > kept && System.nanoTime() < deadline) {
            Thread.sleep(2_000);
            live = StandaloneFlinkCluster.userCodeClassLoaders(tm);
        }
        return live;
    }

    @Test
    @Order(3)
    void stopWithSavepointResumeOnTheSameTaskManagerThenRescale() throws Exception {
        String p = topics("savepoint");
        List<String> ids = new ArrayList<>(produce(p, 0, 50));
        String job = runJob(p, ids);
        String savepoint = cluster.stopWithSavepoint(job);

        ids.addAll(produce(p, 50, 50));
        String resumed = runJob(p, ids, "-s", savepoint);
        String second = cluster.stopWithSavepoint(resumed);

        // Rescale: the same state at parallelism 2, from Flink's own -p.
        ids.addAll(produce(p, 100, 50));
        String rescaled = runJob(p, ids, "-s", second, "-p", "2");
        JsonNode vertices = cluster.rest("/jobs/" + rescaled).path("vertices");
        assertThat(vertices).isNotEmpty();
        for (JsonNode v : vertices) {
            assertThat(v.path("parallelism").asInt()).as("parallelism of %s", v.path("name").asText()).isEqualTo(2);
        }
        cluster.cancel(rescaled);
    }

    @Test
    @Order(4)
    void killTheTaskManagerAndStartAnother() throws Exception {
        String p = topics("kill");
        List<String> ids = new ArrayList<>(produce(p, 0, 50));
        String job = runJob(p, ids);

        cluster.kill(cluster.taskManager());
        ids.addAll(produce(p, 50, 50));
        cluster.startTaskManager();
        cluster.awaitRunning(job, Duration.ofMinutes(2));
        assertExactlyOnce(job, p, ids);
        cluster.cancel(job);
    }

    // ------------------------------------------------------------------------------------------ helpers

    /** {@code flink run -d FLINK_OPTIONS JAR ARGS}; returns the job once every id has its committed output. */
    String runJob(String p, List<String> ids, String... flinkOptions) throws IOException, InterruptedException {
        String job = cluster.submit(concat(flinkOptions, args(p)));
        cluster.awaitRunning(job, Duration.ofMinutes(3));
        assertExactlyOnce(job, p, ids);
        return job;
    }

    /** The job's flags: explicit topics, group and transactional ids; Flink's own settings for the rest. */
    String[] args(String p) {
        return new String[] {jobJar.toString(),
                "--bootstrap", KAFKA.bootstrapServers(), "--input-topic", p + "-images", "--output-topic", p + "-labels",
                "--dead-letter-topic", p + "-dead", "--label-sets", labelSets.toString(), "--model", MODEL,
                "--group-id", p, "--transactional-id-prefix", p, "--starting-offsets", "earliest",
                "--checkpoint-interval", "500ms", "--max-batch-size", "16", "--max-batch-delay", "5ms",
                "--preprocess-threads", "1", "-D", "siglip.kafka.transaction-timeout=2min"};
    }

    String topics(String name) {
        String p = variant() + "-" + name;
        KAFKA.createTopic(p + "-images", 2);
        KAFKA.createTopic(p + "-labels", 2);
        KAFKA.createTopic(p + "-dead", 1);
        return p;
    }

    List<String> produce(String p, int from, int count) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            String id = p + "-" + i;
            ids.add(id);
            records.add(JobHarness.record(p + "-images", JobHarness.event(id, images.get(i % images.size())).build()));
        }
        KAFKA.produce(records, true);
        return ids;
    }

    /** Every id once on the committed output, nothing else, no dead letters; fails early when the job fails. */
    void assertExactlyOnce(String job, String p, List<String> ids) {
        List<ConsumerRecord<byte[], byte[]>> got = List.of();
        long deadline = System.nanoTime() + OUTPUT_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            got = KAFKA.consume(p + "-labels", ids.size(), Duration.ofSeconds(3));
            if (got.size() >= ids.size()) break;
            String state = cluster.jobStatus(job);
            if (state.equals("FAILED") || state.equals("CANCELED") || state.equals("FINISHED")) {
                throw new AssertionError("job " + job + " is " + state + " with " + got.size() + " of " + ids.size()
                        + " outputs: " + cluster.exceptions(job));
            }
        }
        assertThat(got).as("committed outputs of %s (job %s, exceptions %s)", p, job, cluster.exceptions(job))
                .hasSizeGreaterThanOrEqualTo(ids.size());
        // a little longer, for any duplicate committed behind the last expected id
        got = KAFKA.consume(p + "-labels", ids.size() + 1, Duration.ofSeconds(2));
        List<String> keys = got.stream().map(JobHarness::key).toList();
        assertThat(keys).as("ids on %s-labels", p).hasSize(ids.size()).containsExactlyInAnyOrderElementsOf(ids);
        Set<String> scored = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : got) {
            scored.add(JobHarness.score(r).getEventId());
        }
        assertThat(scored).hasSize(ids.size());
        assertThat(KAFKA.consume(p + "-dead", 1, Duration.ofMillis(500))).as("dead letters of %s", p).isEmpty();
    }

    static String figure(String when, Process tm) throws IOException, InterruptedException {
        return when + ": " + StandaloneFlinkCluster.userCodeClassLoaders(tm) + " / "
                + StandaloneFlinkCluster.rssMiB(tm) + " MiB";
    }

    static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) return;
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    static String[] concat(String[] a, String[] b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    /**
     * The shaded job JAR the build wrote before the tests ({@code job.jar.phase}), or the one named by the system
     * property {@code siglip.cluster.job-jar}.
     */
    static Path jobJar() throws IOException {
        String given = System.getProperty("siglip.cluster.job-jar");
        if (given != null && !given.isBlank()) {
            return Path.of(given).toAbsolutePath(); // e.g. an older build's JAR, to compare
        }
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            return files.filter(f -> f.getFileName().toString().matches("siglip-stream-.*-job\\.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no target/siglip-stream-*-job.jar: the build writes it "
                            + "before the tests (maven-shade-plugin in phase ${job.jar.phase}); do not pass "
                            + "-Djob.jar.phase=package when running this test")).toAbsolutePath();
        }
    }
}
