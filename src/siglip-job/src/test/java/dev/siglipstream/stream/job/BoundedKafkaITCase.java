package dev.siglipstream.stream.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.stream.options.JobOptions;
import dev.siglipstream.testutils.KafkaFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.apache.flink.test.junit5.MiniClusterExtension;

/**
 * A bounded Kafka range ({@code earliest} to {@code latest}), in batch and in streaming mode, written to Kafka topics:
 * the job ends by itself and every input record has exactly one output.
 */
class BoundedKafkaITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @RegisterExtension
    static final KafkaFixture KAFKA = new KafkaFixture();

    @TempDir Path dir;

    @ParameterizedTest
    @EnumSource(value = RuntimeExecutionMode.class, names = {"BATCH", "STREAMING"})
    void aRangeFromEarliestToLatestEndsByItselfWithOneOutputPerInput(RuntimeExecutionMode mode) throws Exception {
        // Batch: no checkpoints, the transactions commit at the end; streaming (run --stopping-offsets):
        // checkpoints, and the final one commits the rest.
        String p = "bounded-" + mode.name().toLowerCase(java.util.Locale.ROOT);
        for (String topic : List.of("-images", "-labels", "-dead")) {
            KAFKA.createTopic(p + topic, 2);
        }
        List<byte[]> images = JobHarness.images(12, 7);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            records.add(JobHarness.record(p + "-images", JobHarness.event("img-" + i, images.get(i)).build()));
        }
        records.add(new ProducerRecord<>(p + "-images", "junk".getBytes(StandardCharsets.UTF_8),
                "not avro".getBytes(StandardCharsets.UTF_8)));
        KAFKA.produce(records, false);

        Configuration conf = JobHarness.conf(KAFKA, p, SiglipStreamJobITCase.MODEL,
                JobHarness.labelSetFile(dir, "label-sets:\n  - id: animals\n    labels: [cat, dog]\n"));
        conf.set(JobOptions.DEFAULT_LABEL_SET, "animals");
        conf.set(JobOptions.STOPPING_OFFSETS, "latest");
        conf.set(ExecutionOptions.RUNTIME_MODE, mode);

        assertThat(BackfillITCase.run(conf)).isEqualTo(JobStatus.FINISHED);

        // Produced after the job ended: past the range, never read.
        KAFKA.produce(List.of(JobHarness.record(p + "-images", JobHarness.event("late", images.get(0)).build())), false);
        List<ConsumerRecord<byte[], byte[]>> scored = JobHarness.committed(KAFKA, p + "-labels", images.size() + 1,
                Duration.ofSeconds(5));
        List<ConsumerRecord<byte[], byte[]>> dead = JobHarness.committed(KAFKA, p + "-dead", 2, Duration.ofSeconds(5));
        Map<String, Integer> counts = JobHarness.countByKey(scored);
        assertThat(counts).hasSize(images.size()).allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
        for (int i = 0; i < images.size(); i++) {
            assertThat(counts).containsKey("img-" + i);
        }
        assertThat(dead).hasSize(1);
        assertThat(JobHarness.dead(dead.get(0)).getReason()).isEqualTo(DeadLetterReason.MALFORMED_EVENT);
    }
}
