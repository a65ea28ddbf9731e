package dev.siglipstream.siglip.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loading the JNI libraries of DJL components (SentencePiece, Hugging Face tokenizers) so that they survive
 * class-loader churn, as in a Flink TaskManager that runs a job again after a cancel, a savepoint or a failover.
 *
 * <p>The JVM lets one class loader at a time hold a native library file: DJL extracts its library to one fixed
 * path, so a second class loader's load fails with {@code UnsatisfiedLinkError ... already loaded in another
 * classloader} for as long as the first class loader lives. Once nothing pins the first loader (see
 * {@link NativeRelease}), a garbage collection unloads its copy; {@link #load} collects and retries until then, and
 * loads a copy of its own if the first loader stays.
 */
public final class NativeLibraryLoad {
    private static final Logger LOG = LoggerFactory.getLogger(NativeLibraryLoad.class);
    /** DJL's switch: probe CUDA in a child process instead of loading libcudart through JNA in this JVM. */
    static final String DJL_CUDA_FORK = "ai.djl.util.cuda.fork";
    /** DJL's setting (environment, else system property) for where it extracts native libraries. */
    static final String ENGINE_CACHE_DIR = "ENGINE_CACHE_DIR";
    private static final String OWN_COPY_LOCK = "dev.siglipstream.siglip.internal.NativeLibraryLoad.ownCopy";
    static final Duration WAIT = Duration.ofSeconds(10);

    private NativeLibraryLoad() {}

    /**
     * Runs {@code load} (a DJL library's own loader, e.g. DJL's {@code LibUtils.loadLibrary}, and the initialisation
     * of the classes that load it again, so that they find it loaded). While it fails because another class loader
     * holds the library, collects garbage and tries again for up to {@link #WAIT}: a released, unpinned loader is
     * collected by then and its copy unloaded. If the library is still held (a loader that is not collected: another
     * job in this JVM, or one kept by something the job does not know of), {@code load} runs once more with DJL's
     * engine cache ({@code ENGINE_CACHE_DIR}) pointed at a new folder of this load's own, so that this class loader
     * loads a copy at a path of its own (the JVM refuses a second loader the same path, not the same library); the
     * copy is deleted once loaded.
     */
    public static void load(String library, Runnable load) {
        load(library, load, WAIT);
    }

    static void load(String library, Runnable load, Duration wait) {
        avoidJnaCudaProbe();
        long deadline = System.nanoTime() + wait.toNanos();
        int tries = 0;
        while (true) {
            try {
                load.run();
                if (tries > 0) {
                    LOG.info("{}: native library loaded after {} collections (an earlier class loader held it)", library, tries);
                }
                return;
            } catch (UnsatisfiedLinkError e) {
                if (!heldByAnotherLoader(e)) {
                    throw e;
                }
                if (System.nanoTime() > deadline) {
                    loadOwnCopy(library, load, wait, e);
                    return;
                }
                tries++;
                System.gc();
                sleep(200);
            }
        }
    }

    /** {@link #load}'s last resort: {@code load} with DJL's engine cache in a folder of its own, then deleted. */
    private static void loadOwnCopy(String library, Runnable load, Duration wait, UnsatisfiedLinkError held) {
        String env = System.getenv(ENGINE_CACHE_DIR);
        if (env != null && !env.isEmpty()) {
            throw new UnsatisfiedLinkError(held.getMessage() + " (still held after " + wait.toSeconds() + " s by another"
                    + " class loader; no copy of its own either, since the environment sets " + ENGINE_CACHE_DIR
                    + ": put the library in the cluster's lib/ as deploy/README.md describes)");
        }
        // ENGINE_CACHE_DIR is JVM-wide: one such load at a time in the JVM, whatever the class loader (a string
        // literal is the same object in every loader).
        synchronized (OWN_COPY_LOCK) {
            Path dir;
            try {
                dir = Files.createTempDirectory("siglip-" + library.toLowerCase(java.util.Locale.ROOT) + "-");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot make a folder for a copy of " + library + "'s native library", e);
            }
            String before = System.getProperty(ENGINE_CACHE_DIR);
            System.setProperty(ENGINE_CACHE_DIR, dir.toString());
            try {
                load.run();
                LOG.warn("{}: native library held by another class loader after {} s; loaded a copy of its own from {}"
                        + " (a class loader that stays alive keeps its classes and native copies: deploy/README.md,"
                        + " section 6)", library, wait.toSeconds(), dir);
            } finally {
                if (before == null) {
                    System.clearProperty(ENGINE_CACHE_DIR);
                } else {
                    System.setProperty(ENGINE_CACHE_DIR, before);
                }
                deleteQuietly(dir);
            }
        }
    }

    private static void deleteQuietly(Path dir) {
        try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.debug("could not delete {}: {}", dir, e.toString());
        }
    }

    /**
     * Sets DJL's {@code ai.djl.util.cuda.fork} (unless already set): DJL's platform detection otherwise loads
     * {@code libcudart} through JNA into the JVM where it exists, and JNA's cleaner thread then pins the class
     * loader that loaded it for the life of the JVM. The tokenizers' native code is CPU-only either way.
     */
    public static void avoidJnaCudaProbe() {
        if (System.getProperty(DJL_CUDA_FORK) == null) {
            System.setProperty(DJL_CUDA_FORK, "true");
        }
    }

    static boolean heldByAnotherLoader(UnsatisfiedLinkError e) {
        return String.valueOf(e.getMessage()).contains("already loaded in another classloader");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a native library", ie);
        }
    }
}
