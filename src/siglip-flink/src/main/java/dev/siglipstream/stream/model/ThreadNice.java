package dev.siglipstream.stream.model;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * The calling thread's Linux nice value. On Linux the nice value belongs to each thread (not the
 * process, as POSIX has it), and a thread starts with its creator's: ONNX Runtime's intra-op threads
 * take the value of the thread that opens the session.
 *
 * <p>Raising the value (lower priority) is always allowed; lowering it below the thread's current one
 * needs {@code CAP_SYS_NICE} (root, or the capability granted to the container). Where that is
 * missing, or off Linux, the thread keeps its value and the methods say so by what they return.
 */
final class ThreadNice {
    private static final Path THREAD_STAT = Path.of("/proc/thread-self/stat");
    private static final int PRIO_PROCESS = 0;

    private interface LibC extends Library {
        int setpriority(int which, int who, int prio);
    }

    private ThreadNice() {}

    /** The calling thread's nice value; empty off Linux. */
    static OptionalInt current() {
        try {
            String stat = Files.readString(THREAD_STAT, StandardCharsets.US_ASCII);
            // Fields after the command name, which is in parentheses and may hold spaces: state is
            // field 3, nice field 19.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return OptionalInt.of(Integer.parseInt(f[19 - 3]));
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty();
        }
    }

    /**
     * Sets the calling thread's nice value and returns the one in effect afterwards: {@code nice} when
     * permitted, the old value when not, empty where threads have no nice value of their own.
     */
    static OptionalInt set(int nice) {
        OptionalInt tid = threadId();
        if (tid.isEmpty()) {
            return OptionalInt.empty();
        }
        try {
            Holder.LIBC.setpriority(PRIO_PROCESS, tid.getAsInt(), nice);
        } catch (LinkageError e) { // no libc to load, or no setpriority in it
            return OptionalInt.empty();
        }
        return current();
    }

    /**
     * Runs {@code work} on a new thread at {@code nice} and waits for it, so that threads it starts
     * inherit that value while the caller's own priority is never touched (putting a thread back to a
     * lower value would need the capability).
     */
    static <T> T callAt(int nice, String threadName, Callable<T> work) throws Exception {
        FutureTask<T> task = new FutureTask<>(() -> {
            set(nice);
            return work.call();
        });
        Thread thread = new Thread(task, threadName);
        thread.start();
        try {
            return task.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** The kernel's id of the calling thread, from {@code /proc/thread-self -> <pid>/task/<tid>}. */
    private static OptionalInt threadId() {
        try {
            Path link = Files.readSymbolicLink(Path.of("/proc/thread-self"));
            return OptionalInt.of(Integer.parseInt(link.getFileName().toString()));
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty();
        }
    }

    /** Loads libc on first use only. */
    private static final class Holder {
        static final LibC LIBC = Native.load("c", LibC.class);
    }
}
