package dev.siglipstream.stream.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MicroBatcherTest {

    /** A scheduler whose delayed tasks run only when the test fires them. */
    static final class ManualScheduler implements MicroBatcher.Scheduler {
        final List<Runnable> armed = new ArrayList<>();
        final List<Duration> delays = new ArrayList<>();
        int cancelled;

        @Override
        public Runnable schedule(Runnable task, Duration delay) {
            armed.add(task);
            delays.add(delay);
            return () -> {
                cancelled++;
                armed.remove(task);
            };
        }

        void fireAll() {
            for (Runnable r : new ArrayList<>(armed)) {
                armed.remove(r);
                r.run();
            }
        }
    }

    private final ManualScheduler scheduler = new ManualScheduler();
    private final List<List<Integer>> batches = new ArrayList<>();
    private final List<Integer> padded = new ArrayList<>();

    private MicroBatcher<Integer, String> batcher(int max, boolean bucketing) {
        return MicroBatcher.<Integer, String>builder()
                .maxBatchSize(max).maxDelay(Duration.ofMillis(7)).bucketing(bucketing)
                .scheduler(scheduler).executor(Runnable::run)
                .batchFunction((items, size) -> {
                    batches.add(List.copyOf(items));
                    padded.add(size);
                    return items.stream().map(i -> "r" + i).toList();
                })
                .build();
    }

    /** A batcher whose runs go to {@code runs}: a batch runs when the test runs it. */
    private MicroBatcher<Integer, String> drivenBatcher(int max, boolean dispatchWhenIdle, List<Runnable> runs) {
        return MicroBatcher.<Integer, String>builder()
                .maxBatchSize(max).maxDelay(Duration.ofMillis(7)).dispatchWhenIdle(dispatchWhenIdle)
                .scheduler(scheduler).executor(runs::add)
                .batchFunction((items, size) -> {
                    batches.add(List.copyOf(items));
                    return items.stream().map(i -> "r" + i).toList();
                })
                .build();
    }

    @Test
    void flushesWhenTheBatchIsFull() throws Exception {
        MicroBatcher<Integer, String> b = batcher(3, false);
        CompletableFuture<String> f1 = b.submit(1);
        CompletableFuture<String> f2 = b.submit(2);
        assertThat(batches).isEmpty();
        assertThat(b.queueDepth()).isEqualTo(2);
        CompletableFuture<String> f3 = b.submit(3);
        assertThat(batches).containsExactly(List.of(1, 2, 3));
        assertThat(List.of(f1.get(), f2.get(), f3.get())).containsExactly("r1", "r2", "r3");
        assertThat(b.queueDepth()).isZero();
        // The size flush cancels the delay timer of that batch.
        assertThat(scheduler.armed).isEmpty();
        assertThat(scheduler.cancelled).isEqualTo(1);
    }

    @Test
    void flushesAPartialBatchAfterTheDelay() throws Exception {
        MicroBatcher<Integer, String> b = batcher(8, false);
        CompletableFuture<String> f1 = b.submit(1);
        CompletableFuture<String> f2 = b.submit(2);
        assertThat(scheduler.delays).containsExactly(Duration.ofMillis(7));
        assertThat(f1).isNotDone();
        scheduler.fireAll();
        assertThat(batches).containsExactly(List.of(1, 2));
        assertThat(padded).containsExactly(2);
        assertThat(f1.get()).isEqualTo("r1");
        assertThat(f2.get()).isEqualTo("r2");
        // The next item arms a fresh timer for the next batch.
        b.submit(3);
        assertThat(scheduler.delays).hasSize(2);
    }

    @Test
    void whileABatchRunsItemsGatherAndAnOverdueBatchGoesWhenItEnds() throws Exception {
        List<Runnable> runs = new ArrayList<>(); // a runner the test drives: a batch runs when the test says
        MicroBatcher<Integer, String> b = drivenBatcher(4, false, runs);
        CompletableFuture<String> f1 = b.submit(1);
        scheduler.fireAll();
        assertThat(runs).hasSize(1); // batch [1] is running
        b.submit(2);
        b.submit(3);
        scheduler.fireAll(); // [2, 3] is overdue, but the runner is busy: it waits and keeps gathering
        assertThat(runs).hasSize(1);
        b.submit(4);
        b.submit(5);
        CompletableFuture<String> f6 = b.submit(6); // over a full batch: still one run at a time
        assertThat(runs).hasSize(1);
        assertThat(b.queueDepth()).isEqualTo(5);
        runs.remove(0).run();
        assertThat(f1.get()).isEqualTo("r1");
        // The run's end starts the next batch: full, the first four items.
        assertThat(runs).hasSize(1);
        runs.remove(0).run();
        assertThat(batches).containsExactly(List.of(1), List.of(2, 3, 4, 5));
        // The rest got a fresh delay timer when the full batch was taken; it flushes on that.
        assertThat(f6).isNotDone();
        scheduler.fireAll();
        runs.remove(0).run();
        assertThat(batches).containsExactly(List.of(1), List.of(2, 3, 4, 5), List.of(6));
        assertThat(f6.get()).isEqualTo("r6");
        assertThat(b.queueDepth()).isZero();
    }

    @Test
    void dispatchWhenIdleStartsAtOnceAndGathersOnlyWhileARunIsBusy() throws Exception {
        List<Runnable> runs = new ArrayList<>();
        MicroBatcher<Integer, String> b = drivenBatcher(3, true, runs);
        CompletableFuture<String> f1 = b.submit(1);
        // Nothing was running: the lone item goes at once, no delay timer.
        assertThat(runs).hasSize(1);
        assertThat(scheduler.armed).isEmpty();
        b.submit(2);
        b.submit(3);
        b.submit(4);
        CompletableFuture<String> f5 = b.submit(5);
        // The slot is busy: items gather, with no timer either (the run's end takes them).
        assertThat(runs).hasSize(1);
        assertThat(scheduler.armed).isEmpty();
        assertThat(b.queueDepth()).isEqualTo(4);
        runs.remove(0).run();
        assertThat(f1.get()).isEqualTo("r1");
        // The end of the run starts the next batch straight away, capped at the max size.
        assertThat(runs).hasSize(1);
        runs.remove(0).run();
        assertThat(f5).isNotDone();
        assertThat(runs).hasSize(1); // the remainder, [5], without waiting for a delay
        runs.remove(0).run();
        assertThat(batches).containsExactly(List.of(1), List.of(2, 3, 4), List.of(5));
        assertThat(f5.get()).isEqualTo("r5");
        assertThat(b.queueDepth()).isZero();
        assertThat(scheduler.delays).isEmpty();
    }

    @Test
    void aStaleTimerDoesNotFlushTheNextBatch() {
        MicroBatcher<Integer, String> b = batcher(2, false);
        List<Runnable> firstTimer = new ArrayList<>();
        b.submit(1);
        firstTimer.addAll(scheduler.armed);
        b.submit(2); // size flush
        CompletableFuture<String> f3 = b.submit(3);
        firstTimer.get(0).run(); // the first batch's timer fires late
        assertThat(f3).isNotDone();
        assertThat(batches).containsExactly(List.of(1, 2));
    }

    @Test
    void bucketingPadsToPowersOfTwoCappedAtTheMaximum() {
        MicroBatcher<Integer, String> b = batcher(12, true);
        for (int n : new int[] {1, 3, 5, 9}) {
            for (int i = 0; i < n; i++) {
                b.submit(i);
            }
            scheduler.fireAll();
        }
        assertThat(padded).containsExactly(1, 4, 8, 12);
        assertThat(MicroBatcher.bucketSize(2, 32)).isEqualTo(2);
        assertThat(MicroBatcher.bucketSize(17, 32)).isEqualTo(32);
        assertThat(MicroBatcher.bucketSize(32, 32)).isEqualTo(32);
        assertThatThrownBy(() -> MicroBatcher.bucketSize(33, 32)).hasMessageContaining("1..32");
    }

    @Test
    void aFailedBatchFailsEveryItemOnce() {
        AtomicInteger calls = new AtomicInteger();
        MicroBatcher<Integer, String> b = MicroBatcher.<Integer, String>builder()
                .maxBatchSize(3).scheduler(scheduler).executor(Runnable::run)
                .batchFunction((items, size) -> {
                    calls.incrementAndGet();
                    throw new IllegalStateException("device lost");
                })
                .build();
        List<CompletableFuture<String>> fs = List.of(b.submit(1), b.submit(2), b.submit(3));
        assertThat(calls).hasValue(1);
        for (CompletableFuture<String> f : fs) {
            assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).hasRootCauseMessage("device lost");
        }
    }

    @Test
    void aWrongNumberOfResultsFailsTheBatch() {
        MicroBatcher<Integer, String> b = MicroBatcher.<Integer, String>builder()
                .maxBatchSize(2).scheduler(scheduler).executor(Runnable::run)
                .batchFunction((items, size) -> List.of("only one"))
                .build();
        CompletableFuture<String> f1 = b.submit(1);
        CompletableFuture<String> f2 = b.submit(2);
        assertThatThrownBy(f1::get).hasMessageContaining("1 results for 2 items");
        assertThat(f2).isCompletedExceptionally();
    }

    @Test
    void closeFailsQueuedItemsAndRefusesNewOnes() {
        MicroBatcher<Integer, String> b = batcher(8, false);
        CompletableFuture<String> queued = b.submit(1);
        b.close();
        assertThatThrownBy(queued::get).hasMessageContaining("closed");
        assertThatThrownBy(() -> b.submit(2).get()).hasMessageContaining("closed");
        assertThat(batches).isEmpty();
    }

    @Test
    void everyFutureCompletesExactlyOnceUnderConcurrency() throws Exception {
        AtomicInteger ran = new AtomicInteger();
        try (MicroBatcher<Integer, Integer> b = MicroBatcher.<Integer, Integer>builder()
                .maxBatchSize(16).maxDelay(Duration.ofMillis(1))
                .batchFunction((items, size) -> {
                    ran.addAndGet(items.size());
                    return items.stream().map(i -> i * 2).toList();
                })
                .build()) {
            // Four threads submit 500 items each at the same time, racing size and delay flushes.
            List<List<CompletableFuture<Integer>>> perThread = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int base = t * 1000;
                List<CompletableFuture<Integer>> mine = new ArrayList<>();
                perThread.add(mine);
                Thread th = new Thread(() -> {
                    for (int i = 0; i < 500; i++) {
                        mine.add(b.submit(base + i));
                    }
                });
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join();
            }
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            perThread.forEach(fs::addAll);
            for (int i = 0; i < fs.size(); i++) {
                assertThat(fs.get(i).get()).isEqualTo(((i / 500) * 1000 + i % 500) * 2);
            }
            assertThat(ran).hasValue(2000);
            assertThat(b.queueDepth()).isZero();
        }
    }

    @Test
    void builderValidates() {
        assertThatThrownBy(() -> MicroBatcher.<Integer, Integer>builder().build()).hasMessageContaining("batchFunction");
        assertThatThrownBy(() -> MicroBatcher.<Integer, Integer>builder().maxBatchSize(0)
                .batchFunction((i, s) -> List.of()).build()).hasMessageContaining("got 0");
    }
}
