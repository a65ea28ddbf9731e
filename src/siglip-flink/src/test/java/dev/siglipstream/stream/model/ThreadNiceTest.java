package dev.siglipstream.stream.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Per-thread nice values on Linux. Only raises values (lower priority), which needs no privilege, so
 * it runs the same as root or not; the other platforms have no per-thread nice value to test.
 */
@EnabledOnOs(value = OS.LINUX, disabledReason = "nice values are per thread on Linux only")
class ThreadNiceTest {

    /** Runs {@code body} on a fresh thread (so the test thread keeps its priority) and returns its result. */
    private static <T> T onFreshThread(java.util.concurrent.Callable<T> body) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                result.complete(body.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        t.start();
        return result.get(30, TimeUnit.SECONDS);
    }

    @Test
    void setChangesOnlyTheCallingThreadAndNewThreadsInheritIt() throws Exception {
        OptionalInt mine = ThreadNice.current();
        assertThat(mine).isPresent();
        int base = mine.getAsInt();
        int target = Math.min(19, base + 3);
        int[] seen = onFreshThread(() -> {
            int set = ThreadNice.set(target).orElseThrow();
            int child = onFreshThread(() -> ThreadNice.current().orElseThrow());
            return new int[] {set, ThreadNice.current().orElseThrow(), child};
        });
        assertThat(seen).containsExactly(target, target, target);
        assertThat(ThreadNice.current()).hasValue(base);
    }

    @Test
    void callAtRunsOnANewThreadAtTheValueAndLeavesTheCallerAlone() throws Exception {
        int base = ThreadNice.current().orElseThrow();
        int target = Math.min(19, base + 5);
        AtomicReference<String> name = new AtomicReference<>();
        int[] seen = ThreadNice.callAt(target, "nice-test-loader", () -> {
            name.set(Thread.currentThread().getName());
            int child = onFreshThread(() -> ThreadNice.current().orElseThrow());
            return new int[] {ThreadNice.current().orElseThrow(), child};
        });
        assertThat(seen).containsExactly(target, target);
        assertThat(name.get()).isEqualTo("nice-test-loader");
        assertThat(ThreadNice.current()).hasValue(base);
    }

    @Test
    void callAtRethrowsTheWorksException() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ThreadNice.callAt(10, "nice-test-fail", () -> {
            throw new java.io.IOException("no model here");
        })).isInstanceOf(java.io.IOException.class).hasMessage("no model here");
    }

    @Test
    void aLowerValueIsAppliedOnlyWithThePrivilege() throws Exception {
        int base = ThreadNice.current().orElseThrow();
        int result = onFreshThread(() -> ThreadNice.set(base - 1).orElseThrow());
        // With CAP_SYS_NICE the value is lowered; without it the old one stays, unless RLIMIT_NICE allows it.
        if (hasSysNice()) {
            assertThat(result).isEqualTo(base - 1);
        } else {
            assertThat(result).isIn(base, base - 1);
        }
    }

    /** Whether this process holds CAP_SYS_NICE (bit 23 of CapEff): root in a container may not. */
    private static boolean hasSysNice() throws java.io.IOException {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
            if (line.startsWith("CapEff:")) {
                return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 23)) != 0;
            }
        }
        return false;
    }
}
