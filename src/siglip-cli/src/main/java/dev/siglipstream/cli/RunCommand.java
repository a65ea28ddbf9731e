package dev.siglipstream.cli;

import dev.siglipstream.stream.job.Models;
import dev.siglipstream.stream.job.SiglipStreamJob;
import dev.siglipstream.stream.options.JobArguments;
import dev.siglipstream.stream.options.JobIdentity;
import dev.siglipstream.stream.options.JobOptions;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code siglip run}: the streaming job on a local Flink (the same flags as {@code flink run} with
 * {@code dev.siglipstream.stream.job.SiglipStreamJob}), crash-safe: checkpoints go to a state
 * directory of the job's own ({@link LocalJobState}) and a run started again with the same flags
 * resumes from the newest one.
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
            "Settings: a YAML job file (--config) with these flags on top; -D key=value sets any other key.",
            "Crash-safe: checkpoints are kept in a state directory of this job (by default under "
                    + "$XDG_STATE_HOME or ~/.local/state/siglip-stream/jobs/, named after the job name, its topics and "
                    + "bootstrap servers), and a run started again with the same flags resumes from the newest one, "
                    + "exactly once. The consumer group and transactional ids default to names derived from the same "
                    + "identity (see --group-id, --transactional-id-prefix)."
        })
final class RunCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Mixin JobArguments arguments;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "This job's state directory (checkpoints, lock). Default: derived from the job's identity "
                    + "under $XDG_STATE_HOME/siglip-stream/jobs (~/.local/state when unset).")
    Path stateDir;

    @Option(names = "--no-restore",
            description = "Start without restoring the newest checkpoint (e.g. after an incompatible change to the job); "
                    + "input then starts from the group's committed offsets.")
    boolean noRestore;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Configuration conf = arguments.toConfiguration();
        // One JVM on this machine: parallelism 1 unless --parallelism or -D parallelism.default says otherwise.
        conf.set(org.apache.flink.configuration.CoreOptions.DEFAULT_PARALLELISM, conf.get(org.apache.flink.configuration.CoreOptions.DEFAULT_PARALLELISM, 1));
        SiglipStreamJob.validate(conf);
        JobIdentity identity = JobIdentity.of(conf);
        String bootstrap = conf.get(JobOptions.BOOTSTRAP_SERVERS);
        err.println("siglip run: consumer group " + identity.groupId(conf) + ", transactional id prefix "
                + identity.transactionalIdPrefix(conf));

        Optional<String> chosenDir = conf.getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY);
        Path checkpointDir = chosenDir.map(LocalJobState::localPath).orElse(null);
        if (chosenDir.isPresent() && checkpointDir == null) {
            // Not on this machine: Flink keeps them, but finding the newest is up to the user.
            conf.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
            err.println("siglip run: checkpoints in " + chosenDir.get() + " (retained); to resume from one set -D "
                    + StateRecoveryOptions.SAVEPOINT_PATH.key() + "=<its chk-N folder>");
            err.flush();
            return execute(conf);
        }
        Path dir = stateDir != null ? stateDir : LocalJobState.defaultDir(System.getenv(), identity, bootstrap);
        try (LocalJobState state = LocalJobState.open(dir, checkpointDir, identity, bootstrap)) {
            Optional<String> explicit = conf.getOptional(StateRecoveryOptions.SAVEPOINT_PATH);
            Optional<Path> from = state.configure(conf, !noRestore);
            err.println("siglip run: state in " + state.dir());
            if (from.isPresent()) {
                err.println("siglip run: resuming from checkpoint " + from.get() + " (completed "
                        + Instant.ofEpochMilli(Files.getLastModifiedTime(from.get().resolve("_metadata")).toMillis())
                        + "); --no-restore starts without it");
            } else if (explicit.isPresent()) {
                err.println("siglip run: restoring from " + explicit.get() + " (" + StateRecoveryOptions.SAVEPOINT_PATH.key() + ")");
            } else {
                err.println("siglip run: " + (noRestore ? "--no-restore" : "no checkpoint of this job yet")
                        + ": input starts at the group's committed offsets (--starting-offsets "
                        + conf.get(JobOptions.STARTING_OFFSETS).name().toLowerCase(java.util.Locale.ROOT) + " where there are none)");
            }
            err.flush();
            return execute(conf);
        }
    }

    private static int execute(Configuration conf) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        SiglipStreamJob.build(env, conf, Models.defaultLoader(conf));
        env.execute(conf.get(JobOptions.JOB_NAME));
        return 0;
    }
}
