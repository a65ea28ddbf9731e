package dev.siglipstream.cli;

import dev.siglipstream.stream.job.Models;
import dev.siglipstream.stream.job.SiglipStreamJob;
import dev.siglipstream.stream.options.JobArguments;
import dev.siglipstream.stream.options.JobOptions;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code siglip run}: the streaming job on a local Flink (the same flags as {@code flink run} with
 * {@code dev.siglipstream.stream.job.SiglipStreamJob}).
 *
 * <pre>{@code
 * ./siglip run --bootstrap localhost:9092 --input-topic images --output-topic image-labels \
 *     --dead-letter-topic image-dead-letters --label-sets examples/label-sets.yaml \
 *     --model Xenova/siglip-base-patch16-224 --parallelism 2 --checkpoint-interval 10s
 * }</pre>
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Runs the SigLIP tagging job on a local Flink: Kafka ImageEvents in, LabelScoreEvents and DeadLetters out.",
            "Settings: a YAML job file (--config) with these flags on top; -D key=value sets any other key."
        })
final class RunCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Mixin JobArguments arguments;

    @Override
    public Integer call() throws Exception {
        Configuration conf = arguments.toConfiguration();
        if (conf.getString("execution.checkpointing.dir", null) == null) {
            // In-flight images are part of the async operator's checkpoint: more than the JobManager heap storage allows.
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("siglip-checkpoints");
            conf.setString("execution.checkpointing.storage", "filesystem");
            conf.setString("execution.checkpointing.dir", dir.toUri().toString());
            spec.commandLine().getErr().println("siglip run: checkpoints in " + dir + " (set -D execution.checkpointing.dir=... to keep them elsewhere)");
        }
        // One JVM on this machine: parallelism 1 unless --parallelism or -D parallelism.default says otherwise.
        conf.set(org.apache.flink.configuration.CoreOptions.DEFAULT_PARALLELISM, conf.get(org.apache.flink.configuration.CoreOptions.DEFAULT_PARALLELISM, 1));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        SiglipStreamJob.build(env, conf, Models.defaultLoader(conf));
        env.execute(conf.get(JobOptions.JOB_NAME));
        return 0;
    }
}
