package dev.siglipstream.testutils;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;

import org.apache.kafka.common.utils.Exit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an in-process Kafka broker's request to halt or exit the JVM into a failed test.
 *
 * <p>A broker in the test JVM that loses its only log directory (say a test left it running and
 * JUnit deleted its {@code @TempDir}) calls {@code Exit.halt(1)}: the whole test JVM dies, Surefire
 * reports only "the forked VM terminated without saying goodbye", and the test that caused it is
 * never named. This extension, registered for every test class through
 * {@code META-INF/services} and {@code junit-platform.properties}, replaces Kafka's exit and halt
 * procedures with ones that record the request, and fails the test (or class) during which it came.
 */
public final class KafkaHaltGuard implements AfterEachCallback, AfterAllCallback {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaHaltGuard.class);
    private static final Queue<String> REQUESTS = new ConcurrentLinkedQueue<>();

    // JUnit creates the extension before the first test class runs, and so installs these.
    static {
        Exit.setHaltProcedure((code, message) -> record("halt", code, message));
        Exit.setExitProcedure((code, message) -> record("exit", code, message));
    }

    private static void record(String kind, int code, String message) {
        String request = "Kafka called Exit." + kind + "(" + code + ") in thread " + Thread.currentThread().getName() + ": " + message;
        // Who called, in a few frames: the whole stack runs through JUnit and says no more.
        String caller = StackWalker.getInstance().walk(frames -> frames
                .dropWhile(f -> f.getClassName().equals(KafkaHaltGuard.class.getName())
                        || f.getClassName().startsWith(KafkaHaltGuard.class.getName() + "$")
                        || f.getClassName().equals(Exit.class.getName()))
                .limit(4)
                .map(f -> f.getClassName() + "." + f.getMethodName() + ":" + f.getLineNumber())
                .collect(Collectors.joining(" < ")));
        LOG.error("{} (the JVM is kept alive so the test fails instead), from {}", request, caller);
        REQUESTS.add(request);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        failOnRequests();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        failOnRequests();
    }

    private static void failOnRequests() {
        List<String> requests = drain();
        if (!requests.isEmpty()) {
            throw new AssertionError(String.join("\n", requests));
        }
    }

    /** The requests recorded since the last call, oldest first. */
    static List<String> drain() {
        List<String> requests = new ArrayList<>();
        for (String r; (r = REQUESTS.poll()) != null; ) {
            requests.add(r);
        }
        return requests;
    }
}
