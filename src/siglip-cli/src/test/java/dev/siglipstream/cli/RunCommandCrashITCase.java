package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.siglip.image.PreprocessBench;
import dev.siglipstream.stream.serde.AvroCodec;
import dev.siglipstream.testutils.KafkaFixture;
import dev.siglipstream.testutils.TestData;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code siglip run} as users run it, a process of its own, killed with SIGKILL three times while a
 * stream of 5,000 events flows and started again each time with the same flags: a read_committed
 * consumer must see every id exactly once (scored or dead-lettered), and no run may log the noise an
 * operator would page on.
 */
class RunCommandCrashITCase {
    @RegisterExtension static final KafkaFixture KAFKA = new KafkaFixture();

    private static final String MODEL = TestData.conformance("models/siglip-tiny").toString();
    private static final int EVENTS = 5000;
    /** Every MALFORMED-th event carries bytes that are no image: it must end as exactly one dead letter. */
    private static final int MALFORMED = 97;
    /** Committed outputs after which the current run is killed. */
    private static final int[] KILL_AT = {900, 2100, 3300};
    /** Lines an operator would page on (issue: noise after every checkpoint, model load and recovery). */
    private static final List<String> NOISE = List.of("pendingCommittables", "CUDA driver version is insufficient",
            "already fenced", "signals data loss");

    // Kept when the test fails: the runs' logs say why.
    @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir;

    @Test
    void killedThreeTimesWithSigkillAndStartedAgainEveryIdIsCommittedExactlyOnce() throws Exception {
        KAFKA.createTopic("crash-images", 2);
        KAFKA.createTopic("crash-labels", 2);
        KAFKA.createTopic("crash-dead", 2);
        Path sets = dir.resolve("label-sets.yaml");
        Files.writeString(sets, "label-sets:\n  - id: shapes\n    labels: [circle, square, triangle]\n");
        Path stateHome = dir.resolve("state-home");

        AtomicReference<Throwable> producerFailure = new AtomicReference<>();
        Thread producer = new Thread(() -> {
            try {
                produceSlowly();
            } catch (Throwable t) {
                producerFailure.set(t);
            }
        }, "crash-test-producer");
        producer.start();

        List<Path> logs = new ArrayList<>();
        long t0 = System.nanoTime();
        try (CommittedOutput out = new CommittedOutput()) {
            for (int run = 0; run <= KILL_AT.length; run++) {
                Path log = dir.resolve("run-" + run + ".err");
                logs.add(log);
                // What the previous run committed just before its kill must not count as this run's progress.
                out.drain();
                int lastCheckpoint = newestCheckpoint(stateHome);
                Process job = start(sets, stateHome, log);
                long started = System.nanoTime();
                int before = out.total();
                try {
                    if (run < KILL_AT.length) {
                        // A checkpoint of this run completed once its output grows (commits follow checkpoints).
                        int target = Math.max(KILL_AT[run], before + 200);
                        out.awaitTotal(target, job, log);
                        // and one of its own: the next run must resume from a newer checkpoint than this one did
                        out.await(() -> newestCheckpoint(stateHome) > lastCheckpoint, "a checkpoint newer than chk-"
                                + lastCheckpoint, job, log);
                        // Not right at a commit: somewhere inside the next checkpoint interval.
                        Thread.sleep(150L * (run + 1));
                        job.destroyForcibly(); // SIGKILL
                        assertThat(job.waitFor(30, TimeUnit.SECONDS)).isTrue();
                        assertThat(job.exitValue()).as("killed by SIGKILL").isEqualTo(137);
                    } else {
                        producer.join(TimeUnit.SECONDS.toMillis(60));
                        assertThat(producerFailure.get()).as("producer").isNull();
                        out.awaitIds(EVENTS, job, log);
                        // Anything written twice would be committed within a few checkpoints: look again.
                        long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
                        while (System.nanoTime() < settle) {
                            out.poll();
                        }
                    }
                } finally {
                    job.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                }
                System.out.printf("RunCommandCrashITCase: run %d: %.1f s, committed %d -> %d%n", run,
                        (System.nanoTime() - started) / 1e9, before, out.total());
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Map<String, Integer> counts = out.counts();
            long duplicates = counts.values().stream().filter(c -> c > 1).count();
            long missing = EVENTS - counts.size();
            System.out.printf("RunCommandCrashITCase: %d events, %d SIGKILLs, %.1f s; committed %d records, %d ids, "
                    + "%d duplicated, %d missing, %d dead letters%n", EVENTS, KILL_AT.length, seconds, out.total(),
                    counts.size(), duplicates, missing, out.deadLetters());
            assertThat(counts).as("ids committed (scores and dead letters)").hasSize(EVENTS);
            assertThat(counts).allSatisfy((id, c) -> assertThat(c).as("times %s was committed", id).isEqualTo(1));
            assertThat(out.deadLetters()).isEqualTo((EVENTS + MALFORMED - 1) / MALFORMED);
        }

        // The first run found no checkpoint; each later one names the checkpoint it resumed from, a newer one each time.
        assertThat(Files.readString(logs.get(0))).contains("no checkpoint of this job yet");
        List<Path> resumedFrom = new ArrayList<>();
        Pattern resumed = Pattern.compile("resuming from checkpoint (\\S+) \\(completed");
        for (Path log : logs.subList(1, logs.size())) {
            Matcher m = resumed.matcher(Files.readString(log));
            assertThat(m.find()).as("%s says which checkpoint it resumed from:%n%s", log, Files.readString(log)).isTrue();
            Path chk = Path.of(m.group(1));
            assertThat(chk.getFileName().toString()).matches("chk-\\d+");
            // by name: Flink deletes a claimed checkpoint once a newer one completes
            assertThat(chk.toString()).startsWith(stateHome.resolve("siglip-stream").resolve("jobs").toString());
            resumedFrom.add(chk);
        }
        assertThat(resumedFrom).doesNotHaveDuplicates();
        for (Path log : logs) {
            String text = Files.readString(log);
            for (String noise : NOISE) {
                assertThat(text).as("%s must not log '%s'", log, noise).doesNotContain(noise);
            }
            assertThat(text.lines().filter(l -> l.contains(" ERROR ")).toList()).as("ERROR lines of " + log).isEmpty();
        }
    }

    /** The number of the newest completed checkpoint under the state directory, -1 when there is none. */
    private static int newestCheckpoint(Path stateHome) {
        Path jobs = stateHome.resolve("siglip-stream").resolve("jobs");
        if (!Files.isDirectory(jobs)) {
            return -1;
        }
        try (var paths = Files.walk(jobs, 6)) {
            return paths.filter(p -> p.getFileName().toString().equals("_metadata"))
                    .map(p -> p.getParent().getFileName().toString()).filter(n -> n.matches("chk-\\d+"))
                    .mapToInt(n -> Integer.parseInt(n.substring(4))).max().orElse(-1);
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return -1; // a checkpoint folder deleted while walking: look again on the next poll
        }
    }

    /** {@code siglip run} with the same flags every time; its own state directory comes from XDG_STATE_HOME. */
    private static Process start(Path sets, Path stateHome, Path log) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Flink's --add-opens/--add-exports, as surefire gave them to this JVM
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(a -> a.startsWith("--add-")).forEach(command::add);
        command.addAll(List.of("-Xmx768m", "-Dlog4j2.configurationFile=classpath:siglip-cli-log4j2.properties",
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "run", "--bootstrap", KAFKA.bootstrapServers(), "--input-topic", "crash-images",
                "--output-topic", "crash-labels", "--dead-letter-topic", "crash-dead", "--label-sets", sets.toString(),
                "--model", MODEL, "--parallelism", "2", "--checkpoint-interval", "1s", "--starting-offsets", "earliest",
                "--max-batch-size", "16", "--max-batch-delay", "5ms", "--preprocess-threads", "1",
                "-D", "siglip.model.intra-op-threads=1", "-D", "siglip.kafka.transaction-timeout=2min"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(log.resolveSibling(log.getFileName() + ".out").toFile())
                .redirectError(log.toFile());
        pb.environment().put("XDG_STATE_HOME", stateHome.toString());
        pb.environment().put("SIGLIP_LOG_LEVEL", "WARN");
        return pb.start();
    }

    /** 5,000 events in committed transactions of 250, one every 600 ms: the kills land mid-stream. */
    private static void produceSlowly() throws InterruptedException {
        AvroCodec<ImageEvent> codec = AvroCodec.plain(ImageEvent.class);
        List<byte[]> images = PreprocessBench.shapeImages(16, 7, i -> i % 2 == 0 ? "png" : "jpg");
        byte[] junk = "no image at all".getBytes(StandardCharsets.UTF_8);
        for (int start = 0; start < EVENTS; start += 250) {
            List<ProducerRecord<byte[], byte[]>> batch = new ArrayList<>();
            for (int i = start; i < Math.min(EVENTS, start + 250); i++) {
                String id = "c" + i;
                byte[] image = i % MALFORMED == 0 ? junk : images.get(i % images.size());
                ImageEvent e = ImageEvent.newBuilder().setId(id).setImage(ByteBuffer.wrap(image))
                        .setEventTime(Instant.ofEpochMilli(1_700_000_000_000L + i)).build();
                batch.add(new ProducerRecord<>("crash-images", id.getBytes(StandardCharsets.UTF_8), codec.encode(e)));
            }
            KAFKA.produce(batch, true);
            Thread.sleep(600);
        }
    }

    /** One read_committed consumer on both output topics, counting committed records per id as they arrive. */
    private static final class CommittedOutput implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(KAFKA.consumerProperties());
        private final Map<String, Integer> counts = new HashMap<>();
        private int total;
        private int dead;

        CommittedOutput() {
            List<TopicPartition> parts = new ArrayList<>();
            for (String topic : List.of("crash-labels", "crash-dead")) {
                consumer.partitionsFor(topic, Duration.ofSeconds(10)).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
        }

        void poll() {
            consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                counts.merge(new String(r.key(), StandardCharsets.UTF_8), 1, Integer::sum);
                total++;
                if (r.topic().equals("crash-dead")) {
                    dead++;
                }
            });
        }

        /** Polls until a second passes with nothing new: everything committed so far has been counted. */
        void drain() {
            int quiet = 0;
            while (quiet < 5) {
                int seen = total;
                poll();
                quiet = total == seen ? quiet + 1 : 0;
            }
        }

        void awaitTotal(int target, Process job, Path log) throws Exception {
            await(() -> total >= target, "committed records >= " + target, job, log);
        }

        void awaitIds(int ids, Process job, Path log) throws Exception {
            await(() -> counts.size() >= ids, ids + " distinct ids", job, log);
        }

        void await(java.util.function.BooleanSupplier done, String what, Process job, Path log) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            while (!done.getAsBoolean()) {
                if (!job.isAlive()) {
                    throw new AssertionError("siglip run exited (" + job.exitValue() + ") before " + what + " (" + total
                            + " records, " + counts.size() + " ids); its stderr:\n" + Files.readString(log));
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no " + what + " within 300 s (" + total + " records, " + counts.size()
                            + " ids); stderr of siglip run:\n" + Files.readString(log));
                }
                poll();
            }
        }

        Map<String, Integer> counts() {
            return counts;
        }

        int total() {
            return total;
        }

        int deadLetters() {
            return dead;
        }

        @Override
        public void close() {
            consumer.close(Duration.ofSeconds(5));
        }
    }
}
