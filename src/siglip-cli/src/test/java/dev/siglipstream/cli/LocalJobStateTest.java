package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.siglipstream.stream.options.JobIdentity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalJobStateTest {
    private static final JobIdentity JOB = new JobIdentity("siglip-stream", "images", "image-labels", "image-dead-letters");
    private static final String RUN_A = "0123456789abcdef0123456789abcdef";
    private static final String RUN_B = "fedcba9876543210fedcba9876543210";

    @TempDir Path dir;

    private Path checkpoint(String run, int n, boolean completed, int secondsAgo) throws Exception {
        Path chk = Files.createDirectories(dir.resolve("checkpoints").resolve(run).resolve("chk-" + n));
        if (completed) {
            Path metadata = Files.writeString(chk.resolve("_metadata"), "x");
            Files.setLastModifiedTime(metadata, FileTime.from(Instant.now().minusSeconds(secondsAgo)));
        }
        return chk;
    }

    @Test
    void theNewestCompletedCheckpointIsRestoredClaimedAndRetained() throws Exception {
        checkpoint(RUN_A, 40, true, 300);         // an older run that got further
        Path newest = checkpoint(RUN_B, 3, true, 10); // a later run started afresh (--no-restore)
        checkpoint(RUN_B, 4, false, 0);          // killed while writing: no _metadata
        assertThat(LocalJobState.latestCompleted(dir.resolve("checkpoints"))).contains(newest);

        try (LocalJobState state = LocalJobState.open(dir, null, JOB, "k:9092")) {
            Configuration conf = new Configuration();
            assertThat(state.configure(conf, true)).contains(newest);
            assertThat(conf.get(StateRecoveryOptions.SAVEPOINT_PATH)).isEqualTo(newest.toUri().toString());
            assertThat(conf.get(StateRecoveryOptions.RESTORE_MODE)).isEqualTo(RecoveryClaimMode.CLAIM);
            assertThat(conf.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).isEqualTo(dir.resolve("checkpoints").toUri().toString());
            assertThat(conf.get(CheckpointingOptions.CHECKPOINT_STORAGE)).isEqualTo("filesystem");
            assertThat(conf.get(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION))
                    .isEqualTo(ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        }
        assertThat(Files.readString(dir.resolve("identity.txt"))).contains("bootstrap: k:9092", "inputs: images");
    }

    @Test
    void foldersOfRunsWithoutACompletedCheckpointAreRemovedOthersKept() throws Exception {
        Path kept = checkpoint(RUN_A, 7, true, 60);
        checkpoint(RUN_B, 1, false, 0);
        Path notFlinks = Files.createDirectories(dir.resolve("checkpoints").resolve("mine"));
        try (LocalJobState state = LocalJobState.open(dir, null, JOB, "k:9092")) {
            state.configure(new Configuration(), true);
        }
        assertThat(kept.resolve("_metadata")).exists();
        assertThat(dir.resolve("checkpoints").resolve(RUN_B)).doesNotExist();
        assertThat(notFlinks).exists();
    }

    @Test
    void noRestoreAndAnExplicitRestorePathAreLeftAlone() throws Exception {
        checkpoint(RUN_A, 2, true, 5);
        try (LocalJobState state = LocalJobState.open(dir, null, JOB, "k:9092")) {
            Configuration off = new Configuration();
            assertThat(state.configure(off, false)).isEmpty();
            assertThat(off.getOptional(StateRecoveryOptions.SAVEPOINT_PATH)).isEmpty();
            Configuration explicit = new Configuration();
            explicit.set(StateRecoveryOptions.SAVEPOINT_PATH, "file:/elsewhere/savepoint-1");
            assertThat(state.configure(explicit, true)).isEmpty();
            assertThat(explicit.get(StateRecoveryOptions.SAVEPOINT_PATH)).isEqualTo("file:/elsewhere/savepoint-1");
        }
        Path empty = Files.createDirectories(dir.resolve("fresh"));
        try (LocalJobState state = LocalJobState.open(empty, null, JOB, "k:9092")) {
            assertThat(state.configure(new Configuration(), true)).isEqualTo(Optional.empty());
        }
    }

    @Test
    void aSecondRunOfTheSameJobIsRefusedWhileTheFirstHoldsTheDirectory() {
        try (LocalJobState first = LocalJobState.open(dir, null, JOB, "k:9092")) {
            assertThatThrownBy(() -> LocalJobState.open(dir, null, JOB, "k:9092"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("another siglip run of the same job is using " + dir);
        }
        LocalJobState.open(dir, null, JOB, "k:9092").close(); // released
    }

    @Test
    void theDefaultDirectoryIsPerUserAndPerJob() {
        Path xdg = LocalJobState.defaultDir(Map.of("XDG_STATE_HOME", "/var/state"), JOB, "k:9092");
        assertThat(xdg).isEqualTo(Path.of("/var/state/siglip-stream/jobs", JOB.stateKey("k:9092")));
        Path home = LocalJobState.defaultDir(Map.of(), JOB, "k:9092");
        assertThat(home).isEqualTo(Path.of(System.getProperty("user.home"), ".local/state/siglip-stream/jobs", JOB.stateKey("k:9092")));
        assertThat(LocalJobState.defaultDir(Map.of(), JOB, "other:9092")).isNotEqualTo(home);
        assertThat(LocalJobState.localPath("file:///tmp/x")).isEqualTo(Path.of("/tmp/x"));
        assertThat(LocalJobState.localPath("/tmp/y")).isEqualTo(Path.of("/tmp/y"));
        assertThat(LocalJobState.localPath("s3://bucket/x")).isNull();
    }
}
