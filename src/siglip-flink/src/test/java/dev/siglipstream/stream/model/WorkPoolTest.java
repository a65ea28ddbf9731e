package dev.siglipstream.stream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WorkPoolTest {
    private static WorkPool pool(int maxQueued) {
        return new WorkPool("test", 1, maxQueued, r -> {
            Thread t = new Thread(r, "test-pool");
            t.setDaemon(true);
            return t;
        });
    }

    @Test
    void costClassesAreOneUpToAMegapixelThenOnePerDoubling() {
        assertThat(WorkPool.costClass(0)).isZero();
        assertThat(WorkPool.costClass(640 * 480)).isZero();
        assertThat(WorkPool.costClass(999_999)).isZero();
        assertThat(WorkPool.costClass(1_000_000)).isEqualTo(1);
        assertThat(WorkPool.costClass(1_999_999)).isEqualTo(1);
        assertThat(WorkPool.costClass(2_000_000)).isEqualTo(2);
        assertThat(WorkPool.costClass(4000L * 3000)).isEqualTo(4); // 12 MP: 8-16
        assertThat(WorkPool.costClass(6000L * 6000)).isEqualTo(6); // 36 MP: 32-64
    }

    @Test
    void takesTheLowestClassFirstInArrivalOrderAndWithdrawsCancelledTasks() throws Exception {
        WorkPool pool = pool(100);
        CountDownLatch gate = new CountDownLatch(1);
        List<String> ran = new CopyOnWriteArrayList<>();
        pool.submit(0, () -> {
            try {
                gate.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Thread.sleep(50); // the blocker is running: the rest queue behind it
        pool.submit(5, () -> ran.add("big-1"));
        pool.submit(5, () -> ran.add("big-2"));
        WorkPool.Ticket withdrawn = pool.submit(0, () -> ran.add("withdrawn"));
        pool.submit(0, () -> ran.add("small-1"));
        pool.submit(2, () -> ran.add("medium"));
        pool.submit(0, () -> ran.add("small-2"));
        assertThat(pool.queued()).isEqualTo(6);
        assertThat(withdrawn.cancel()).isTrue();
        assertThat(pool.queued()).isEqualTo(5);
        gate.countDown();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ran.size() < 5 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertThat(ran).containsExactly("small-1", "small-2", "medium", "big-1", "big-2");
        pool.shutdown();
        assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aRunningTaskIsInterruptedAndTheNextOneIsNot() throws Exception {
        WorkPool pool = pool(10);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        WorkPool.Ticket running = pool.submit(0, () -> {
            started.countDown();
            try {
                Thread.sleep(10_000);
            } catch (InterruptedException e) {
                interrupted.countDown();
            }
        });
        List<Boolean> nextSawInterrupt = new CopyOnWriteArrayList<>();
        CountDownLatch next = new CountDownLatch(1);
        pool.submit(0, () -> {
            nextSawInterrupt.add(Thread.currentThread().isInterrupted());
            next.countDown();
        });
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(running.cancel()).as("already running: interrupted, not withdrawn").isFalse();
        assertThat(interrupted.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(next.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(nextSawInterrupt).containsExactly(false);
        pool.shutdownNow();
    }

    @Test
    void theQueueIsBounded() {
        WorkPool pool = pool(2);
        CountDownLatch gate = new CountDownLatch(1);
        pool.submit(0, () -> {
            try {
                gate.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (pool.queued() > 0 && System.nanoTime() < end) {
            Thread.onSpinWait();
        }
        pool.submit(0, () -> {});
        pool.submit(0, () -> {});
        assertThatThrownBy(() -> pool.submit(0, () -> {})).isInstanceOf(RejectedExecutionException.class)
                .hasMessage("test has 2 tasks queued, the most it takes");
        gate.countDown();
        pool.shutdownNow();
        assertThatThrownBy(() -> pool.execute(() -> {})).isInstanceOf(RejectedExecutionException.class)
                .hasMessage("test is shut down");
    }

    @Test
    void aTaskThatEndsItsOwnRecordIsNotInterruptedByIt() throws Exception {
        // A record completed from inside its last task withdraws its work, that task included: what the task does
        // next for the record (e.g. a blocking registry call while encoding) must not see an interrupt.
        WorkPool pool = pool(10);
        java.util.concurrent.atomic.AtomicReference<WorkPool.Ticket> own = new java.util.concurrent.atomic.AtomicReference<>();
        CountDownLatch submitted = new CountDownLatch(1);
        java.util.concurrent.CompletableFuture<Boolean> interruptedAfterCancel = new java.util.concurrent.CompletableFuture<>();
        own.set(pool.submit(0, () -> {
            try {
                submitted.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                interruptedAfterCancel.completeExceptionally(e);
                return;
            }
            own.get().cancel();
            interruptedAfterCancel.complete(Thread.currentThread().isInterrupted());
        }));
        submitted.countDown();
        assertThat(interruptedAfterCancel.get(10, TimeUnit.SECONDS)).as("interrupted by its own cancel").isFalse();
    }
}
