package dev.siglipstream.stream.options;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.siglipstream.stream.serde.WireFormat;
import dev.siglipstream.testutils.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class JobArgumentsTest {
    @TempDir Path dir;

    static Configuration parse(String... args) {
        JobArguments a = new JobArguments();
        new CommandLine(a).parseArgs(args);
        return a.toConfiguration();
    }

    @Test
    void yamlWithCommandLineOverrides() throws Exception {
        Path yaml = dir.resolve("job.yaml");
        Files.writeString(yaml, """
                siglip:
                  kafka:
                    bootstrap-servers: yaml:9092
                    input-topics: [a, b]
                    properties:
                      security.protocol: SASL_SSL
                  batch:
                    max-size: 16
                    max-delay: 20 ms
                siglip.async.mode: unordered
                parallelism.default: 3
                """);
        Configuration c = parse("--config", yaml.toString(), "--bootstrap", "cli:9092", "--max-batch-delay", "5ms",
                "--property", "sasl.mechanism=PLAIN", "--delivery-guarantee", "at-least-once",
                "--checkpoint-interval", "500ms", "--wire-format", "confluent", "--emit-embedding");
        assertThat(c.get(JobOptions.BOOTSTRAP_SERVERS)).isEqualTo("cli:9092");
        assertThat(c.get(JobOptions.INPUT_TOPICS)).containsExactly("a", "b");
        assertThat(c.get(JobOptions.MAX_BATCH_SIZE)).isEqualTo(16);
        assertThat(c.get(JobOptions.MAX_BATCH_DELAY)).isEqualTo(Duration.ofMillis(5));
        assertThat(c.get(JobOptions.ASYNC_MODE)).isEqualTo(JobOptions.AsyncMode.UNORDERED);
        assertThat(c.get(JobOptions.KAFKA_PROPERTIES))
                .isEqualTo(Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN"));
        assertThat(c.get(JobOptions.DELIVERY_GUARANTEE)).isEqualTo(JobOptions.Guarantee.AT_LEAST_ONCE);
        assertThat(c.get(JobOptions.CHECKPOINT_INTERVAL)).isEqualTo(Duration.ofMillis(500));
        assertThat(c.get(JobOptions.WIRE_FORMAT)).isEqualTo(WireFormat.CONFLUENT);
        assertThat(c.get(JobOptions.EMIT_EMBEDDING)).isTrue();
        assertThat(c.getString("parallelism.default", null)).isEqualTo("3");
    }

    @Test
    void everyOperatorFlagIsAccepted() {
        Configuration c = parse("--bootstrap", "k:9092", "--input-topic", "x,y", "--input-topic", "z",
                "--output-topic", "out", "--dead-letter-topic", "dlq", "--label-set-topic", "ls",
                "--label-sets", "sets.yaml", "--model", "m", "--parallelism", "2", "--checkpoint-interval", "1s",
                "--max-batch-size", "8", "--max-batch-delay", "3ms", "--dispatch-when-idle", "--group-id", "g", "--starting-offsets", "earliest",
                "--async-mode", "ordered", "--capacity", "7", "--timeout", "9s", "--retries", "1",
                "--preprocess-threads", "2", "--max-image-pixels", "100", "--max-image-bytes", "200",
                "--uri-allowlist", "https://a/,file:/b/", "--provider", "cuda", "--device", "1", "--variant", "fp16",
                "--default-threshold", "0.2");
        assertThat(c.get(JobOptions.INPUT_TOPICS)).containsExactly("x", "y", "z");
        assertThat(c.get(JobOptions.OUTPUT_TOPIC)).isEqualTo("out");
        assertThat(c.get(JobOptions.DEAD_LETTER_TOPIC)).isEqualTo("dlq");
        assertThat(c.get(JobOptions.LABEL_SET_TOPIC)).isEqualTo("ls");
        assertThat(c.get(JobOptions.LABEL_SETS_FILE)).isEqualTo("sets.yaml");
        assertThat(c.get(JobOptions.PARALLELISM)).isEqualTo(2);
        assertThat(c.get(JobOptions.STARTING_OFFSETS)).isEqualTo(JobOptions.StartingOffsets.EARLIEST);
        assertThat(c.get(JobOptions.ASYNC_CAPACITY)).isEqualTo(7);
        assertThat(c.get(JobOptions.ASYNC_TIMEOUT)).isEqualTo(Duration.ofSeconds(9));
        assertThat(c.get(JobOptions.URI_ALLOWLIST)).isEqualTo(List.of("https://a/", "file:/b/"));
        assertThat(c.get(JobOptions.PROVIDER)).isEqualTo("cuda");
        assertThat(c.get(JobOptions.DEVICE_ID)).isEqualTo(1);
        assertThat(c.get(JobOptions.DEFAULT_THRESHOLD)).isEqualTo(0.2f);
        assertThat(c.get(JobOptions.BATCH_DISPATCH_WHEN_IDLE)).isTrue();
    }

    @Test
    void imageDecodeIsExactUnlessAskedFast() {
        assertThat(parse("--bootstrap", "k:9092").get(JobOptions.IMAGE_DECODE))
                .isEqualTo(dev.siglipstream.siglip.image.DecodeMode.EXACT);
        assertThat(parse("--image-decode", "fast").get(JobOptions.IMAGE_DECODE))
                .isEqualTo(dev.siglipstream.siglip.image.DecodeMode.FAST);
        assertThat(parse("-D", "siglip.image.decode=fast").get(JobOptions.IMAGE_DECODE))
                .isEqualTo(dev.siglipstream.siglip.image.DecodeMode.FAST);
        assertThatThrownBy(() -> parse("--image-decode", "draft"))
                .hasMessageStartingWith("--image-decode: expected one of [exact, fast], got 'draft'");
    }

    @Test
    void badInputIsReportedWithTheFlagAndValue() throws Exception {
        assertThatThrownBy(() -> parse("--no-such-flag")).isInstanceOf(CommandLine.UnmatchedArgumentException.class)
                .hasMessageContaining("--no-such-flag");
        assertThatThrownBy(() -> parse("--starting-offsets", "sometimes"))
                .hasMessage("--starting-offsets: expected one of [earliest, latest, committed], got 'sometimes'");
        assertThatThrownBy(() -> parse("--max-batch-delay", "soon"))
                .hasMessageContaining("--max-batch-delay: expected a duration like 500ms, 10s or 1min, got 'soon'");
        Path yaml = dir.resolve("bad.yaml");
        Files.writeString(yaml, "siglip:\n  batch:\n    max-sise: 3\n");
        assertThatThrownBy(() -> parse("--config", yaml.toString()))
                .hasMessageContaining("bad.yaml: unknown setting 'siglip.batch.max-sise'");
        assertThatThrownBy(() -> parse("-D", "siglip.nope=1")).hasMessageContaining("unknown setting 'siglip.nope'");
    }

    @Test
    void batchConcurrencyIsOneUnlessGiven() {
        assertThat(parse().get(JobOptions.BATCH_CONCURRENCY)).isEqualTo(1);
        assertThat(parse("-D", "siglip.batch.concurrency=2").get(JobOptions.BATCH_CONCURRENCY)).isEqualTo(2);
        assertThatThrownBy(() -> parse("-D", "siglip.batch.concurrency=two"))
                .hasMessageContaining("setting 'siglip.batch.concurrency': cannot read 'two' as an integer");
    }

    @Test
    void inferenceNiceIsUnsetUnlessGivenAndMustBeANumber() {
        assertThat(parse().get(JobOptions.INFERENCE_NICE)).isNull();
        assertThat(parse("-D", "siglip.model.inference-nice=-10").get(JobOptions.INFERENCE_NICE)).isEqualTo(-10);
        assertThatThrownBy(() -> parse("-D", "siglip.model.inference-nice=high"))
                .hasMessageContaining("setting 'siglip.model.inference-nice': cannot read 'high' as an integer");
        assertThatThrownBy(() -> parse("-D", "siglip.batch.max-delay=soon"))
                .hasMessageContaining("setting 'siglip.batch.max-delay': cannot read 'soon' as a duration (e.g. 10ms, 5s)");
        assertThatThrownBy(() -> parse("-D", "siglip.kafka.starting-offsets=yesterday"))
                .hasMessageContaining("cannot read 'yesterday' as one of [earliest, latest, committed]");
        // Files and -D take the flags' spelling of enum values.
        assertThat(parse("-D", "siglip.kafka.delivery-guarantee=at-least-once").get(JobOptions.DELIVERY_GUARANTEE))
                .isEqualTo(JobOptions.Guarantee.AT_LEAST_ONCE);
    }

    @Test
    void theExampleJobAndLabelSetFilesAreValid() {
        Configuration c = parse("--config", TestData.path("examples/job.yaml").toString());
        assertThat(c.get(JobOptions.INPUT_TOPICS)).containsExactly("images");
        assertThat(c.get(JobOptions.MAX_BATCH_DELAY)).isEqualTo(Duration.ofMillis(20));
        assertThat(c.get(JobOptions.STARTING_OFFSETS)).isEqualTo(JobOptions.StartingOffsets.EARLIEST);
        assertThat(c.get(JobOptions.DELIVERY_GUARANTEE)).isEqualTo(JobOptions.Guarantee.EXACTLY_ONCE);
        assertThat(dev.siglipstream.stream.labels.LabelSetFile.read(TestData.path(c.get(JobOptions.LABEL_SETS_FILE))))
                .extracting(dev.siglipstream.stream.labels.LabelSet::id).containsExactly("moderation", "catalogue", "scenes");
    }
}
