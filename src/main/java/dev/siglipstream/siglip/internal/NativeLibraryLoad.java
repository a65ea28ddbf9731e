package dev.siglipstream.siglip.internal;

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
 * {@link NativeRelease}), a garbage collection unloads its copy; {@link #load} collects and retries until then.
 */
public final class NativeLibraryLoad {
    private static final Logger LOG = LoggerFactory.getLogger(NativeLibraryLoad.class);
    /** DJL's switch: probe CUDA in a child process instead of loading libcudart through JNA in this JVM. */
    static final String DJL_CUDA_FORK = "ai.djl.util.cuda.fork";
    static final Duration WAIT = Duration.ofSeconds(30);

    private NativeLibraryLoad() {}

    /**
     * Runs {@code load} (a library's own loader, e.g. DJL's {@code LibUtils.loadLibrary}); while it fails because
     * another, released class loader still holds the library, collects garbage and tries again, up to 30 s.
     */
    public static void load(String library, Runnable load) {
        avoidJnaCudaProbe();
        long deadline = System.nanoTime() + WAIT.toNanos();
        int tries = 0;
        while (true) {
            try {
                load.run();
                if (tries > 0) {
                    LOG.info("{}: native library loaded after {} collections (an earlier class loader held it)", library, tries);
                }
                return;
            } catch (UnsatisfiedLinkError e) {
                if (!heldByAnotherLoader(e) || System.nanoTime() > deadline) {
                    throw heldByAnotherLoader(e) ? new UnsatisfiedLinkError(e.getMessage() + " (still held after " + WAIT.toSeconds()
                            + " s: another live class loader uses " + library + ", e.g. another job in this TaskManager;"
                            + " put the library in the cluster's lib/ as deploy/README.md describes)") : e;
                }
                tries++;
                System.gc();
                sleep(200);
            }
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
