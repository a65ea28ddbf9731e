package dev.siglipstream.siglip.hub;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * The huggingface_hub cache layout: {@code models--org--name/{blobs,snapshots,refs}} plus
 * {@code .locks}; blobs are shared between snapshots, snapshot entries are relative symlinks.
 */
final class HubCache {
    static final Pattern COMMIT_SHA = Pattern.compile("[0-9a-f]{40}");

    /** Locks held in this JVM; file locks alone throw when two threads of one JVM overlap. */
    private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    private final Path root;
    private final boolean symlinks;

    HubCache(Path root) {
        this(root, true);
    }

    /** {@code symlinks = false} forces the copy fallback (for tests of file systems without symlinks). */
    HubCache(Path root, boolean symlinks) {
        this.root = root;
        this.symlinks = symlinks;
    }

    Path root() {
        return root;
    }

    static String folderName(String repoId) {
        return "models--" + repoId.replace("/", "--");
    }

    Path repoDir(String repoId) {
        return root.resolve(folderName(repoId));
    }

    Path blob(String repoId, String etag) {
        return repoDir(repoId).resolve("blobs").resolve(etag);
    }

    Path snapshotDir(String repoId, String commit) {
        return repoDir(repoId).resolve("snapshots").resolve(commit);
    }

    /** The snapshot entry for {@code filename}, refusing names that would leave the snapshot folder. */
    Path pointer(String repoId, String commit, String filename) {
        Path dir = snapshotDir(repoId, commit);
        Path p = dir.resolve(filename).normalize();
        if (!p.startsWith(dir) || p.equals(dir)) {
            throw new HubException(
                    HubException.Reason.PROTOCOL,
                    "refusing file name '" + filename + "' of " + repoId + ": it points outside the snapshot folder " + dir);
        }
        return p;
    }

    /** The commit a revision points to in the cache: the revision itself for a sha, else {@code refs/<revision>}. */
    Optional<String> cachedCommit(String repoId, String revision) {
        if (COMMIT_SHA.matcher(revision).matches()) {
            return Optional.of(revision);
        }
        Path ref = repoDir(repoId).resolve("refs").resolve(revision);
        if (!Files.isRegularFile(ref)) {
            return Optional.empty();
        }
        try {
            String sha = Files.readString(ref, StandardCharsets.UTF_8).strip();
            return sha.isEmpty() ? Optional.empty() : Optional.of(sha);
        } catch (IOException e) {
            throw localIo("cannot read " + ref, e);
        }
    }

    /** Records that {@code revision} points to {@code commit}; a sha revision needs no ref. */
    void writeRef(String repoId, String revision, String commit) {
        if (revision.equals(commit)) {
            return;
        }
        Path ref = repoDir(repoId).resolve("refs").resolve(revision);
        try {
            if (Files.isRegularFile(ref) && Files.readString(ref, StandardCharsets.UTF_8).strip().equals(commit)) {
                return;
            }
            Files.createDirectories(ref.getParent());
            Path tmp = Files.createTempFile(ref.getParent(), ".ref", ".tmp");
            Files.writeString(tmp, commit, StandardCharsets.UTF_8);
            moveAtomically(tmp, ref);
        } catch (IOException e) {
            throw localIo("cannot write " + ref, e);
        }
    }

    /**
     * Makes {@code pointer} a relative symlink to {@code blob} (as huggingface_hub does), or a copy
     * where the file system refuses symlinks (e.g. Windows without developer mode).
     */
    void link(Path blob, Path pointer) {
        try {
            Files.createDirectories(pointer.getParent());
            Path relative = pointer.getParent().relativize(blob);
            // Built aside and renamed over the entry, so a concurrent reader never finds it missing.
            Path tmp = pointer.resolveSibling("." + pointer.getFileName() + "." + UUID.randomUUID() + ".tmp");
            try {
                if (!symlinks) {
                    throw new UnsupportedOperationException("symlinks disabled");
                }
                Files.createSymbolicLink(tmp, relative);
                moveAtomically(tmp, pointer);
            } catch (UnsupportedOperationException | SecurityException | IOException e) {
                Files.deleteIfExists(tmp);
                Path copy = Files.createTempFile(pointer.getParent(), ".copy", ".tmp");
                Files.copy(blob, copy, StandardCopyOption.REPLACE_EXISTING);
                moveAtomically(copy, pointer);
            }
        } catch (IOException e) {
            throw localIo("cannot link " + pointer + " to " + blob, e);
        }
    }

    /** Runs {@code action} holding the lock of one blob, across threads and processes. */
    <T> T withBlobLock(String repoId, String etag, IoSupplier<T> action) {
        Path lockFile = root.resolve(".locks").resolve(folderName(repoId)).resolve(etag + ".lock");
        ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(lockFile.toAbsolutePath().normalize(), k -> new ReentrantLock());
        jvmLock.lock();
        try {
            Files.createDirectories(lockFile.getParent());
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock ignored = ch.lock()) {
                return action.get();
            }
        } catch (IOException e) {
            throw localIo("cannot lock " + lockFile, e);
        } finally {
            jvmLock.unlock();
        }
    }

    static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static HubException localIo(String what, IOException e) {
        return new HubException(HubException.Reason.LOCAL_IO, what + ": " + e, null, e);
    }

    /** A supplier that may fail with an {@link IOException}. */
    @FunctionalInterface
    interface IoSupplier<T> {
        T get() throws IOException;
    }
}
