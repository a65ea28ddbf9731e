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
}
