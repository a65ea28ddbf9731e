package dev.siglipstream.cli;

import dev.siglipstream.stream.options.JobIdentity;
import dev.siglipstream.stream.options.JobOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.RecoveryClaimMode;

/**
 * The durable state of {@code ./siglip run}: a directory per job identity whose checkpoints outlive
 * the process (kill -9 included) and from whose newest completed checkpoint the next run with the
 * same flags resumes, so that it continues exactly once instead of restarting from the group's
 * committed offsets (which lag the sink's commits, or run ahead of transactions a crash aborted).
 *
 * <p>Layout: {@code DIR/checkpoints/<flink job id>/chk-N/_metadata}, {@code DIR/identity.txt}
 * (what the directory belongs to) and {@code DIR/lock}, held while a run uses the directory: two
 * runs of one job would fence each other's transactions.
 *
 * <pre>{@code
 * try (LocalJobState state = LocalJobState.open(dir, identity, bootstrap)) {
 *     Optional<Path> from = state.configure(conf, true);   // checkpoint dir, retention, restore path
 *     ...run the job...
 * }
 * }</pre>
 */
final class LocalJobState implements AutoCloseable {
    private static final Pattern CHECKPOINT = Pattern.compile("chk-(\\d+)");
    private static final Pattern JOB_ID = Pattern.compile("[0-9a-f]{32}");

    private final Path dir;
    private final Path checkpoints;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private LocalJobState(Path dir, Path checkpoints, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.checkpoints = checkpoints;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * The default directory of a job: {@code $XDG_STATE_HOME/siglip-stream/jobs/<state key>}, with
     * {@code ~/.local/state} when {@code XDG_STATE_HOME} is not set.
     */
    static Path defaultDir(Map<String, String> env, JobIdentity identity, String bootstrap) {
        String xdg = env.get("XDG_STATE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".local", "state");
        return base.resolve("siglip-stream").resolve("jobs").resolve(identity.stateKey(bootstrap));
    }

    /**
     * Opens (creating) the state directory {@code dir} and takes its lock; {@code checkpointDir} is
     * where checkpoints go when the user chose it ({@code execution.checkpointing.dir}), else null.
     *
     * @throws IllegalStateException when another run holds the lock
     */
    static LocalJobState open(Path dir, Path checkpointDir, JobIdentity identity, String bootstrap) {
        try {
            Files.createDirectories(dir);
            FileChannel channel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                channel.close();
                throw new IllegalStateException("another siglip run of the same job is using " + dir
                        + " (two runs of one job would fence each other's transactions); stop it, or give this one "
                        + "other topics, --state-dir and --transactional-id-prefix");
            }
            Files.writeString(dir.resolve("identity.txt"), identity.describe(bootstrap));
            Path checkpoints = checkpointDir != null ? checkpointDir : dir.resolve("checkpoints");
            Files.createDirectories(checkpoints);
            return new LocalJobState(dir, checkpoints, channel, lock);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use the state directory " + dir, e);
        }
    }

    Path dir() {
        return dir;
    }

    /**
     * Sets the checkpoint storage to this directory, retained on cancellation, and, when {@code
     * restore} and no restore path is set already, restores from the newest completed checkpoint
     * (claimed: Flink deletes it once a newer one completes). Returns the checkpoint restored from.
     */
    Optional<Path> configure(Configuration conf, boolean restore) {
        conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        conf.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        if (!restore || conf.getOptional(StateRecoveryOptions.SAVEPOINT_PATH).isPresent()) {
            return Optional.empty();
        }
        Optional<Path> latest = latestCompleted(checkpoints);
        latest.ifPresent(chk -> {
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, chk.toUri().toString());
            if (!conf.contains(StateRecoveryOptions.RESTORE_MODE)) {
                conf.set(StateRecoveryOptions.RESTORE_MODE, RecoveryClaimMode.CLAIM);
            }
        });
        removeRunsWithoutCheckpoints(checkpoints, latest.orElse(null));
        return latest;
    }

    /**
     * The newest {@code <job id>/chk-N} under {@code root} that has its {@code _metadata} (a
     * checkpoint without one did not complete): by the time its metadata was written, then by N.
     */
    static Optional<Path> latestCompleted(Path root) {
        record Candidate(Path dir, FileTime written, long id) {}
        List<Candidate> found = new ArrayList<>();
        for (Path run : children(root)) {
            for (Path chk : children(run)) {
                Matcher m = CHECKPOINT.matcher(chk.getFileName().toString());
                Path metadata = chk.resolve("_metadata");
                if (m.matches() && Files.isRegularFile(metadata)) {
                    try {
                        found.add(new Candidate(chk, Files.getLastModifiedTime(metadata), Long.parseLong(m.group(1))));
                    } catch (IOException e) {
                        // deleted while we looked: not a candidate
                    }
                }
            }
        }
        return found.stream()
                .max(Comparator.comparing(Candidate::written).thenComparingLong(Candidate::id))
                .map(Candidate::dir);
    }

    /**
     * Deletes the folders of earlier runs that hold no completed checkpoint (a run killed before its
     * first one, or whose last one a later run claimed and Flink deleted), so the directory does not
     * grow with every restart. Only Flink job-id folders are touched.
     */
    private static void removeRunsWithoutCheckpoints(Path root, Path keep) {
        for (Path run : children(root)) {
            if (!JOB_ID.matcher(run.getFileName().toString()).matches() || (keep != null && keep.startsWith(run))) {
                continue;
            }
            boolean completed = children(run).stream().anyMatch(c -> Files.isRegularFile(c.resolve("_metadata")));
            if (!completed) {
                deleteRecursively(run);
            }
        }
    }

    private static List<Path> children(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(Files::isDirectory).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a leftover folder costs disk, not correctness
        }
    }

    /** The local path of a {@code file:} URI or a plain path; null for other file systems. */
    static Path localPath(String uriOrPath) {
        URI uri = URI.create(uriOrPath);
        if (uri.getScheme() == null) {
            return Path.of(uriOrPath);
        }
        return "file".equals(uri.getScheme()) ? Path.of(uri) : null;
    }

    /** Releases the lock; the directory stays for the next run. */
    @Override
    public void close() {
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            // the lock goes with the process anyway
        }
    }
}
