package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.testutils.TestData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.events.LabelScore;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.stream.serde.AvroCodec;
import dev.siglipstream.testutils.KafkaFixture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code siglip produce}, {@code consume} and {@code broker} against a real broker. */
class ProduceConsumeCommandITCase {
    @RegisterExtension static final KafkaFixture KAFKA = new KafkaFixture();

    private static final Path IMAGES = TestData.conformance("images");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void produceSendsOneImageEventPerFileKeyedByTheIdItPrints(@TempDir Path dir) throws Exception {
        KAFKA.createTopic("images", 1);
        Path jpg = IMAGES.resolve("photo_q90_420.jpg");
        Path png = IMAGES.resolve("palette.png");
        Run run = run("produce", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "images", "--label-set", "animals",
                "--id-prefix", "img-", jpg.toString(), png.toString());
        assertThat(run.code).as(run.err).isZero();
        assertThat(run.lines()).containsExactly("img-0", "img-1");

        // A directory: images sorted by name, other files skipped; random UUID ids; inline labels.
        Files.copy(png, dir.resolve("b.png"));
        Files.copy(jpg, dir.resolve("a.JPG"));
        Files.writeString(dir.resolve("notes.txt"), "not an image");
        Run fromDir = run("produce", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "images", "--labels", "cat,dog",
                dir.toString());
        assertThat(fromDir.code).as(fromDir.err).isZero();
        assertThat(fromDir.lines()).hasSize(2).allMatch(id -> id.matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"));

        List<ConsumerRecord<byte[], byte[]>> records = KAFKA.consume("images", 4, Duration.ofSeconds(30));
        assertThat(records).hasSize(4);
        AvroCodec<ImageEvent> codec = AvroCodec.plain(ImageEvent.class);
        List<ImageEvent> events = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            ImageEvent e = codec.decode(r.value());
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(e.getId());
            events.add(e);
        }
        ImageEvent first = events.get(0);
        assertThat(first.getId()).isEqualTo("img-0");
        assertThat(bytes(first.getImage())).isEqualTo(Files.readAllBytes(jpg));
        assertThat(first.getContentType()).isEqualTo("image/jpeg");
        assertThat(first.getMetadata()).isEqualTo(Map.of("file", "photo_q90_420.jpg"));
        assertThat(first.getLabelSetId()).isEqualTo("animals");
        assertThat(first.getLabels()).isNull();
        assertThat(first.getImageUri()).isNull();
        assertThat(first.getEventTime()).isBetween(Instant.now().minusSeconds(120), Instant.now());
        assertThat(events.get(1).getContentType()).isEqualTo("image/png");
        assertThat(bytes(events.get(1).getImage())).isEqualTo(Files.readAllBytes(png));
        assertThat(events.subList(2, 4)).extracting(ImageEvent::getId).containsExactlyElementsOf(fromDir.lines());
        assertThat(events.subList(2, 4)).extracting(e -> e.getMetadata().get("file")).containsExactly("a.JPG", "b.png");
        assertThat(events.get(2).getLabels()).containsExactly("cat", "dog");
        assertThat(events.get(2).getLabelSetId()).isNull();
    }

    @Test
    void produceSupportsConfluentFramingAndReferences() throws Exception {
        KAFKA.createTopic("images-confluent", 1);
        Run run = run("produce", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "images-confluent",
                "--wire-format", "confluent", "--schema-id", "7", "--id-prefix", "c",
                IMAGES.resolve("tiny_1x1.png").toString(), "https://images.example.com/cat.jpg?size=large");
        assertThat(run.code).as(run.err).isZero();
        assertThat(run.lines()).containsExactly("c0", "c1");
        List<ConsumerRecord<byte[], byte[]>> records = KAFKA.consume("images-confluent", 2, Duration.ofSeconds(30));
        assertThat(records).hasSize(2);
        assertThat(Arrays.copyOf(records.get(0).value(), 5)).containsExactly(0, 0, 0, 0, 7);
        AvroCodec<ImageEvent> codec = AvroCodec.confluent(ImageEvent.class, 7);
        assertThat(bytes(codec.decode(records.get(0).value()).getImage())).isEqualTo(Files.readAllBytes(IMAGES.resolve("tiny_1x1.png")));
        ImageEvent byReference = codec.decode(records.get(1).value());
        assertThat(byReference.getImage()).isNull();
        assertThat(byReference.getImageUri()).isEqualTo("https://images.example.com/cat.jpg?size=large");
        assertThat(byReference.getMetadata()).containsEntry("file", "cat.jpg");
        assertThat(byReference.getContentType()).isEqualTo("image/jpeg");
    }

    @Test
    void produceFailsClearlyForAMissingFile() {
        Run run = run("produce", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "images", "/no/such/file.jpg");
        assertThat(run.code).isEqualTo(1);
        assertThat(run.err).contains("siglip produce: error: no such file or directory: /no/such/file.jpg");
        assertThat(run.out).isEmpty();
    }

    @Test
    void consumePrintsCommittedScoresAndDeadLettersAsJsonLines() throws Exception {
        KAFKA.createTopic("scores", 1);
        LabelScoreEvent scored = LabelScoreEvent.newBuilder()
                .setEventId("img-0").setLabelSetId("animals").setLabelSetVersion(2).setModelId("siglip-tiny")
                .setScores(List.of(new LabelScore("cat", 0.875f, true), new LabelScore("dog", 0.0625f, false)))
                .setEventTime(Instant.ofEpochMilli(1000)).setProcessedAt(Instant.ofEpochMilli(2000)).build();
        DeadLetter dead = DeadLetter.newBuilder()
                .setEventId("img-1").setOriginal(ByteBuffer.wrap(new byte[] {1, 2, 3})).setReason(DeadLetterReason.UNDECODABLE_IMAGE)
                .setMessage("not an image").setStage("preprocess").setSourceTopic("images").setTime(Instant.ofEpochMilli(3000)).build();
        LabelScoreEvent aborted = LabelScoreEvent.newBuilder(scored).setEventId("aborted").build();
        Properties p = KAFKA.producerProperties();
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "consume-test");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("scores", key("aborted"), AvroCodec.plain(LabelScoreEvent.class).encode(aborted)));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("scores", key("img-0"), AvroCodec.plain(LabelScoreEvent.class).encode(scored)));
            producer.send(new ProducerRecord<>("scores", key("img-1"), AvroCodec.plain(DeadLetter.class).encode(dead)));
            producer.send(new ProducerRecord<>("scores", key("junk"), "definitely not avro".getBytes(StandardCharsets.UTF_8)));
            producer.commitTransaction();
        }

        Run run = run("consume", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "scores", "--max", "4", "--timeout", "2s");
        assertThat(run.code).as(run.err).isZero();
        List<String> lines = run.lines();
        assertThat(lines).hasSize(3);
        JsonNode s = JSON.readTree(lines.get(0));
        assertThat(s.get("eventId").asText()).isEqualTo("img-0");
        assertThat(s.get("labelSetVersion").asLong()).isEqualTo(2);
        assertThat(s.get("scores").get(0).get("label").asText()).isEqualTo("cat");
        assertThat(s.get("scores").get(0).get("score").floatValue()).isEqualTo(0.875f);
        assertThat(s.get("matched").get(0).asText()).isEqualTo("cat");
        assertThat(s.get("processedAt").asText()).isEqualTo("1970-01-01T00:00:02Z");
        JsonNode d = JSON.readTree(lines.get(1));
        assertThat(d.get("reason").asText()).isEqualTo("UNDECODABLE_IMAGE");
        assertThat(d.get("original").asText()).isEqualTo("AQID");
        assertThat(d.get("eventId").asText()).isEqualTo("img-1");
        JsonNode e = JSON.readTree(lines.get(2));
        assertThat(e.get("error").asText()).contains("cannot decode LabelScoreEvent").contains("cannot decode DeadLetter");
        assertThat(e.get("topic").asText()).isEqualTo("scores");
        assertThat(e.get("offset").asLong()).isPositive();

        // --max stops early; --type dead-letter renders everything as a dead letter or an error.
        Run one = run("consume", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "scores", "--max", "1");
        assertThat(one.lines()).containsExactly(lines.get(0));
        Run typed = run("consume", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "scores", "--type", "dead-letter", "--max", "3");
        assertThat(typed.lines()).hasSize(3);
        assertThat(typed.lines().get(1)).isEqualTo(lines.get(1));
        assertThat(JSON.readTree(typed.lines().get(0)).has("error")).isTrue();
    }

    @Test
    void consumeStopsAfterTheIdleTimeoutAndReportsMissingTopics() {
        KAFKA.createTopic("empty", 2);
        long t0 = System.nanoTime();
        Run run = run("consume", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "empty", "--timeout", "1s");
        assertThat(run.code).as(run.err).isZero();
        assertThat(run.out).isEmpty();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(1000L, 20_000L);

        Run missing = run("consume", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "no-such-topic", "--timeout", "1s");
        assertThat(missing.code).isEqualTo(1);
        assertThat(missing.err).contains("siglip consume: error: topic no-such-topic not found on " + KAFKA.bootstrapServers() + " within 1000 ms");
        assertThat(KAFKA.consume("no-such-topic", 1, Duration.ofMillis(500))).isEmpty();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
            assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).doesNotContain("no-such-topic");
        } catch (Exception e) {
            throw new AssertionError(e);
        }

        Run bad = run("consume", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "images", "--type", "nonsense");
        assertThat(bad.code).isEqualTo(2);
        assertThat(bad.err).contains("expected auto, score, dead-letter, image or label-set, got 'nonsense'");
    }

    @Test
    void brokerCommandPrintsItsBootstrapLineAndServesUntilSigterm(@TempDir Path dir) throws Exception {
        // A process of its own, stopped the way a user stops it: a broker inside the test JVM would
        // share it, and one left running after a failed assertion would lose its directory to JUnit's
        // clean-up, at which Kafka halts the JVM it runs in. Its output goes to files: a pipe's read
        // can fail with "Stream closed" when the process exits during it.
        Path data = dir.resolve("data");
        Path stdout = dir.resolve("stdout.txt");
        Path stderr = dir.resolve("stderr.txt");
        Process broker = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "broker", "--port", "0", "--dir", data.toString())
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!Files.readString(stdout).contains("\n") && broker.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            String line = Files.readString(stdout);
            Matcher m = Pattern.compile("bootstrap=(127\\.0\\.0\\.1:(\\d+))\\R").matcher(line);
            assertThat(m.matches()).as("stdout of siglip broker: '%s'; stderr: %s", line, Files.readString(stderr)).isTrue();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, m.group(1)))) {
                admin.createTopics(List.of(new NewTopic("hello", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("hello");
            }

            broker.destroy(); // SIGTERM
            assertThat(broker.waitFor(60, TimeUnit.SECONDS)).as("stopped within 60 s of SIGTERM").isTrue();
            assertThat(broker.exitValue()).isEqualTo(143); // 128 + SIGTERM, once the shutdown hooks have run
            assertThat(Files.readString(stdout)).isEqualTo(line);
            assertThat(Files.readString(stderr)).contains("siglip broker: stopping");
            assertThat(data.resolve("meta.properties")).exists();
        } finally {
            broker.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static byte[] key(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    /** Runs {@code Main.execute} with stdout and stderr captured. */
    private static Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.execute(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    private record Run(int code, String out, String err) {
        List<String> lines() {
            return out.isEmpty() ? List.of() : List.of(out.split("\\R"));
        }
    }
}
