package dev.siglipstream.stream.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.siglipstream.stream.options.JobOptions;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

/** What the job checks in its settings before it builds anything. */
class JobPlanTest {

    private static Configuration minimal() {
        Configuration c = new Configuration();
        c.set(JobOptions.BOOTSTRAP_SERVERS, "localhost:9092");
        c.set(JobOptions.INPUT_TOPICS, List.of("images"));
        c.set(JobOptions.MODEL, "/models/siglip");
        return c;
    }

    @Test
    void aMinimalConfigurationPlansWithOneBatchAtATime() {
        SiglipStreamJob.JobPlan plan = SiglipStreamJob.JobPlan.of(minimal());
        assertThat(plan.inputTopics()).containsExactly("images");
        assertThat(plan.parallelism()).as("unset: Flink's -p / parallelism.default apply").isNull();
        assertThat(plan.checkpointInterval()).as("unset: the cluster's checkpoint interval applies").isNull();
        assertThat(minimal().get(JobOptions.BATCH_CONCURRENCY)).isEqualTo(1);
    }

    @Test
    void batchSettingsBelowOneAreRefusedByName() {
        Configuration size = minimal();
        size.set(JobOptions.MAX_BATCH_SIZE, 0);
        assertThatThrownBy(() -> SiglipStreamJob.JobPlan.of(size)).hasMessage("siglip.batch.max-size must be >= 1, got 0");
        Configuration concurrency = minimal();
        concurrency.set(JobOptions.BATCH_CONCURRENCY, 0);
        assertThatThrownBy(() -> SiglipStreamJob.JobPlan.of(concurrency))
                .hasMessage("siglip.batch.concurrency must be >= 1, got 0");
    }

    @Test
    void niceValuesOutsideLinuxsRangeAreRefusedByName() {
        Configuration inference = minimal();
        inference.set(JobOptions.INFERENCE_NICE, 50);
        assertThatThrownBy(() -> SiglipStreamJob.JobPlan.of(inference))
                .hasMessage("siglip.model.inference-nice must be a nice value from -20 to 19, got 50");
        Configuration preprocess = minimal();
        preprocess.set(JobOptions.PREPROCESS_NICE, -21);
        assertThatThrownBy(() -> SiglipStreamJob.JobPlan.of(preprocess))
                .hasMessage("siglip.preprocess.nice must be a nice value from -20 to 19, got -21");
        Configuration edges = minimal();
        edges.set(JobOptions.INFERENCE_NICE, -20);
        edges.set(JobOptions.PREPROCESS_NICE, 19);
        assertThat(SiglipStreamJob.JobPlan.of(edges).model()).isEqualTo("/models/siglip");
    }

    @Test
    void theSinksRecordSizeIsCheckedAgainstTheLargestDeadLetterAndScoredEvent() {
        SiglipStreamJob.JobPlan plan = SiglipStreamJob.JobPlan.of(minimal());
        assertThat(plan.maxRecordBytes()).isEqualTo(1024 * 1024);
        assertThat(SiglipStreamJob.sink(plan, minimal(), SiglipStreamJob.kafkaProperties(minimal()))).isNotNull();

        Configuration excerpt = minimal();
        excerpt.set(JobOptions.DEAD_LETTER_EXCERPT_BYTES, 2 * 1024 * 1024);
        assertThatThrownBy(() -> SiglipStreamJob.JobPlan.of(excerpt))
                .hasMessage("siglip.dead-letter.excerpt-bytes (2097152) plus 16384 bytes of other fields makes dead letters of up to "
                        + "2113536 bytes, over the sink's max.request.size of 1048576: lower the excerpt, or raise "
                        + "siglip.kafka.properties.max.request.size (and the topics' max.message.bytes)");
        Configuration labels = minimal();
        labels.set(JobOptions.MAX_LABELS, 20_000);
        assertThatThrownBy(() -> SiglipStreamJob.JobPlan.of(labels))
                .hasMessageStartingWith("siglip.label-sets.max-labels (20000) and siglip.label-sets.max-label-length (128) allow "
                        + "scored events of up to 7905536 bytes, over the sink's max.request.size of 1048576");
        // Raised together with the producer's bound, they plan; the plan carries that bound to the size check.
        Configuration raised = minimal();
        raised.set(JobOptions.MAX_LABELS, 20_000);
        raised.set(JobOptions.KAFKA_PROPERTIES, java.util.Map.of("max.request.size", "8000000"));
        assertThat(SiglipStreamJob.JobPlan.of(raised).maxRecordBytes()).isEqualTo(8_000_000);
        Configuration typo = minimal();
        typo.set(JobOptions.KAFKA_PROPERTIES, java.util.Map.of("max.request.size", "1MB"));
        assertThatThrownBy(() -> SiglipStreamJob.JobPlan.of(typo))
                .hasMessage("siglip.kafka.properties.max.request.size must be a number of bytes, got '1MB'");
    }

    @Test
    void theLabelSetFileIsCheckedAgainstTheConfiguredLimitsAtStart(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("sets.yaml"),
                "label-sets:\n  - id: animals\n    labels: [cat, dog, bird]\n");
        Configuration c = minimal();
        c.set(JobOptions.LABEL_SETS_FILE, file.toString());
        c.set(JobOptions.MAX_LABELS, 2);
        assertThatThrownBy(() -> SiglipStreamJob.JobPlan.of(c))
                .hasMessage(file + ": label-sets[0] (id 'animals').labels has 3 labels, the limit is 2 (siglip.label-sets.max-labels)");
    }
}
