package dev.siglipstream.stream.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.stream.FakeModel;
import dev.siglipstream.stream.options.JobArguments;
import dev.siglipstream.stream.options.JobOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Flink's own settings win unless a {@code siglip.*} key is set: parallelism ({@code flink run -p},
 * {@code parallelism.default}) and the cluster's checkpointing; {@code siglip.*} keys come from the Flink
 * configuration as well as from the program arguments, which win over it.
 */
class FlinkSettingsPrecedenceTest {

    private static Configuration flink(Map<String, String> entries) {
        return Configuration.fromMap(entries);
    }

    private static Configuration args(String... args) {
        JobArguments a = new JobArguments();
        new CommandLine(a).parseArgs(args);
        return a.toConfiguration();
    }

    /** Only the graph is looked at: no broker, so no start-up check of it. */
    private static final String[] MINIMAL = {"--bootstrap", "localhost:9092", "--input-topic", "images",
            "--model", "/models/siglip", "-D", "siglip.kafka.startup-check-timeout=0s"};

    /** The job as main() builds it, on an environment created from {@code flinkConf} (what flink run passes). */
    private static StreamExecutionEnvironment built(Configuration flinkConf, Configuration programArguments) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConf);
        Configuration conf = SiglipStreamJob.jobConfiguration(env.getConfiguration(), programArguments);
        SiglipStreamJob.build(env, conf, FakeModel.loader());
        return env;
    }

    @Test
    void flinksParallelismAppliesUnlessTheJobSetsItsOwn() {
        StreamExecutionEnvironment byFlink = built(flink(Map.of("parallelism.default", "3")), args(MINIMAL));
        assertThat(byFlink.getParallelism()).isEqualTo(3);

        StreamExecutionEnvironment byJob = built(flink(Map.of("parallelism.default", "3")),
                args(concat(MINIMAL, "--parallelism", "2")));
        assertThat(byJob.getParallelism()).isEqualTo(2);
    }

    @Test
    void theClustersCheckpointIntervalAppliesUnlessTheJobSetsItsOwn() {
        StreamExecutionEnvironment byCluster = built(flink(Map.of("execution.checkpointing.interval", "7s")), args(MINIMAL));
        assertThat(byCluster.getCheckpointConfig().getCheckpointInterval()).isEqualTo(7_000);

        StreamExecutionEnvironment byJob = built(flink(Map.of("execution.checkpointing.interval", "7s")),
                args(concat(MINIMAL, "--checkpoint-interval", "500ms")));
        assertThat(byJob.getCheckpointConfig().getCheckpointInterval()).isEqualTo(500);

        // Output is committed on checkpoints: with neither setting, the job still checkpoints.
        StreamExecutionEnvironment neither = built(new Configuration(), args(MINIMAL));
        assertThat(neither.getCheckpointConfig().getCheckpointInterval())
                .isEqualTo(SiglipStreamJob.DEFAULT_CHECKPOINT_INTERVAL.toMillis());
    }

    @Test
    void siglipKeysComeFromTheFlinkConfigurationAndProgramArgumentsWin() {
        Configuration cluster = flink(Map.of("siglip.kafka.bootstrap-servers", "kafka:9092",
                "siglip.scoring.default-threshold", "0.25", "siglip.batch.max-size", "8", "taskmanager.numberOfTaskSlots", "2"));
        Configuration conf = SiglipStreamJob.jobConfiguration(cluster,
                args("--input-topic", "images", "--model", "/m", "--max-batch-size", "32"));

        assertThat(conf.get(JobOptions.BOOTSTRAP_SERVERS)).isEqualTo("kafka:9092");
        assertThat(conf.get(JobOptions.DEFAULT_THRESHOLD)).isEqualTo(0.25f);
        assertThat(conf.get(JobOptions.MAX_BATCH_SIZE)).as("the program argument wins").isEqualTo(32);
        assertThat(conf.get(JobOptions.INPUT_TOPICS)).containsExactly("images");

        // what the job publishes as its global job parameters (REST: /jobs/ID/config, user-config)
        assertThat(SiglipStreamJob.siglipKeys(conf).toMap()).containsOnlyKeys("siglip.kafka.bootstrap-servers",
                "siglip.scoring.default-threshold", "siglip.batch.max-size", "siglip.kafka.input-topics", "siglip.model.name")
                .containsEntry("siglip.batch.max-size", "32");
    }

    @Test
    void thePreprocessingPoolDefaultIsCountedWhereTheModelOpens() {
        Configuration conf = args(MINIMAL);
        assertThat(conf.contains(JobOptions.PREPROCESS_THREADS)).as("no client-side default").isFalse();
        dev.siglipstream.stream.model.ModelSpec unset = new dev.siglipstream.stream.model.ModelSpec("m", "cpu", -1, "fp32",
                1, false, null, false, 8, 5, false, 1, false, 0, null, 8);
        assertThat(unset.preprocessPoolSize()).isEqualTo(Math.max(1, Runtime.getRuntime().availableProcessors() / 2));
        assertThat(new dev.siglipstream.stream.model.ModelSpec("m", "cpu", -1, "fp32", 1, false, null, false, 8, 5, false,
                1, false, 3, null, 8).preprocessPoolSize()).isEqualTo(3);
        assertThat(Duration.ofSeconds(10)).isEqualTo(SiglipStreamJob.DEFAULT_CHECKPOINT_INTERVAL);
    }

    private static String[] concat(String[] a, String... b) {
        return java.util.stream.Stream.concat(List.of(a).stream(), List.of(b).stream()).toArray(String[]::new);
    }
}
