package dev.siglipstream.stream.batching;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Gathers single items into batches and runs them together: a batch is flushed when it reaches
 * {@code maxBatchSize} items OR when its first item has waited {@code maxDelay}, whichever comes
 * first. Each submitted item gets its own future, completed exactly once; a failed batch fails the
 * future of every item in it.
 *
 * <p>At most {@code maxConcurrentBatches} batches run at once (default 1). While that many are
 * running, items keep gathering, up to {@code maxBatchSize}, and a batch whose delay has passed
 * meanwhile goes as soon as a run ends. Under load batches therefore fill up, instead of a slow
 * batch having a queue of one-item batches, flushed by their delay, pile up behind it.
 *
 * <p>With {@code dispatchWhenIdle}, an item does not wait for the delay while a run could start: a
 * batch starts as soon as a run slot is free, with whatever has gathered. Under load nothing changes
 * (items gather while the slots are busy, up to {@code maxBatchSize}); at low load an item no longer
 * waits up to {@code maxDelay} in front of an idle model, and batch sizes follow the arrival rate.
 * The delay is then never waited on.
 *
 * <pre>{@code
 * MicroBatcher<FloatBuffer, float[]> batcher = MicroBatcher.<FloatBuffer, float[]>builder()
 *         .maxBatchSize(32).maxDelay(Duration.ofMillis(5)).bucketing(true)
 *         .batchFunction((items, padded) -> model.embed(items, padded))
 *         .build();
 * CompletableFuture<float[]> f = batcher.submit(pixels);
 * }</pre>
 *
 * <p>Owns the scheduler and executor only when the builder created them; {@link #close()} fails
 * every item still pending, shuts the owned threads down and waits for a running batch to finish
 * (throwing IllegalStateException when it does not within a minute), so the model can be closed
 * after it.
 *
 * @param <I> item type
 * @param <O> per-item result type
 */
public final class MicroBatcher<I, O> implements AutoCloseable {

    /** Arms a delayed task; returns the action that cancels it. Tests inject a manual one. */
    @FunctionalInterface
    public interface Scheduler {
        Runnable schedule(Runnable task, Duration delay);
    }

    /** Runs one batch; returns one result per item, in order. */
    @FunctionalInterface
    public interface BatchFunction<I, O> {
        /**
         * @param items the batch, 1..maxBatchSize items
         * @param paddedSize the size the batch should be run at ({@code items.size()} without bucketing,
         *     else the next power of two capped at maxBatchSize); the extra rows are padding whose
         *     outputs are dropped
         */
        List<O> apply(List<I> items, int paddedSize) throws Exception;
    }

    /** How long {@link #close()} waits for a running batch on the owned executor. */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(60);

    private final int maxBatchSize;
    private final Duration maxDelay;
    private final boolean bucketing;
    private final BatchFunction<I, O> function;
    private final Scheduler scheduler;
    private final Executor executor;
    private final Runnable onClose;
    private final int maxConcurrentBatches;
    private final boolean dispatchWhenIdle;
    private final AtomicInteger queued = new AtomicInteger();

    private final Object lock = new Object();
    private List<Pending<I, O>> open = new ArrayList<>();
    private Runnable cancelTimer;
    private long generation;
    private boolean closed;
    /** Batches handed to the executor and not yet finished. */
    private int running;
    /** The open batch's delay passed while no run could start: it goes when one ends. */
    private boolean overdue;

    private MicroBatcher(Builder<I, O> b, Scheduler scheduler, Executor executor, Runnable onClose) {
        this.maxBatchSize = b.maxBatchSize;
        this.maxDelay = b.maxDelay;
        this.bucketing = b.bucketing;
        this.function = b.function;
        this.scheduler = scheduler;
        this.executor = executor;
        this.onClose = onClose;
        this.maxConcurrentBatches = b.maxConcurrentBatches;
        this.dispatchWhenIdle = b.dispatchWhenIdle;
    }

    public static <I, O> Builder<I, O> builder() {
        return new Builder<>();
    }

    /** Queues one item; never blocks. The future fails with IllegalStateException after close. */
    public CompletableFuture<O> submit(I item) {
        Objects.requireNonNull(item, "item");
        CompletableFuture<O> future = new CompletableFuture<>();
        List<Pending<I, O>> full = null;
        synchronized (lock) {
            if (closed) {
                future.completeExceptionally(new IllegalStateException("micro-batcher is closed"));
                return future;
            }
            open.add(new Pending<>(item, future));
            queued.incrementAndGet();
            if (open.size() >= maxBatchSize || dispatchWhenIdle) {
                if (running < maxConcurrentBatches) {
                    full = takeBatch();
                }
                // else: it goes when a running batch ends
            } else if (open.size() == 1) {
                long gen = generation;
                cancelTimer = scheduler.schedule(() -> flushIfGeneration(gen), maxDelay);
            }
        }
        if (full != null) {
            dispatch(full);
        }
        return future;
    }

    /** Items submitted and not yet handed to the batch function. */
    public int queueDepth() {
        return queued.get();
    }

    public int maxBatchSize() {
        return maxBatchSize;
    }

    /** The size a batch of {@code n} items is run at: the next power of two, capped at {@code max}. */
    public static int bucketSize(int n, int max) {
        if (n <= 0 || n > max) {
            throw new IllegalArgumentException("batch of " + n + " items, expected 1.." + max);
        }
        int p = Integer.highestOneBit(n);
        if (p < n) {
            p <<= 1;
        }
        return Math.min(p, max);
    }

    private void flushIfGeneration(long gen) {
        List<Pending<I, O>> batch;
        synchronized (lock) {
            // A size flush may have taken the batch this timer was armed for.
            if (gen != generation || open.isEmpty()) {
                return;
            }
            cancelTimer = null; // it is this timer, which has fired
            if (running >= maxConcurrentBatches) {
                overdue = true;
                return;
            }
            batch = takeBatch();
        }
        dispatch(batch);
    }

    /** Must hold lock: takes up to maxBatchSize items of the open batch and counts the batch as running. */
    private List<Pending<I, O>> takeBatch() {
        List<Pending<I, O>> batch;
        if (open.size() <= maxBatchSize) {
            batch = open;
            open = new ArrayList<>();
        } else {
            batch = new ArrayList<>(open.subList(0, maxBatchSize));
            open = new ArrayList<>(open.subList(maxBatchSize, open.size()));
        }
        generation++;
        overdue = false;
        if (cancelTimer != null) {
            cancelTimer.run();
            cancelTimer = null;
        }
        queued.addAndGet(-batch.size());
        running++;
        if (!open.isEmpty() && !dispatchWhenIdle) {
            // The rest waited behind a full batch: their own delay starts now.
            long gen = generation;
            cancelTimer = scheduler.schedule(() -> flushIfGeneration(gen), maxDelay);
        }
        return batch;
    }

    private void dispatch(List<Pending<I, O>> batch) {
        try {
            executor.execute(() -> run(batch));
        } catch (RuntimeException e) {
            fail(batch, e);
            batchEnded();
        }
    }

    /** A run ended: start the next batch if it is full or overdue. */
    private void batchEnded() {
        List<Pending<I, O>> next = null;
        synchronized (lock) {
            running--;
            if (!closed && !open.isEmpty() && (open.size() >= maxBatchSize || overdue || dispatchWhenIdle)) {
                next = takeBatch();
            }
        }
        if (next != null) {
            dispatch(next);
        }
    }

    private void run(List<Pending<I, O>> batch) {
        try {
            runBatch(batch);
        } finally {
            batchEnded();
        }
    }

    private void runBatch(List<Pending<I, O>> batch) {
        List<I> items = new ArrayList<>(batch.size());
        for (Pending<I, O> p : batch) {
            items.add(p.item);
        }
        int padded = bucketing ? bucketSize(items.size(), maxBatchSize) : items.size();
        List<O> results;
        try {
            results = function.apply(items, padded);
        } catch (Throwable t) {
            fail(batch, t);
            return;
        }
        if (results == null || results.size() != batch.size()) {
            fail(batch, new IllegalStateException("batch function returned "
                    + (results == null ? "null" : results.size() + " results") + " for " + batch.size() + " items"));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).future.complete(results.get(i));
        }
    }

    private static <I, O> void fail(List<Pending<I, O>> batch, Throwable t) {
        for (Pending<I, O> p : batch) {
            p.future.completeExceptionally(t);
        }
    }

    @Override
    public void close() {
        List<Pending<I, O>> rest;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            rest = open;
            open = new ArrayList<>();
            generation++;
            if (cancelTimer != null) {
                cancelTimer.run();
                cancelTimer = null;
            }
            queued.addAndGet(-rest.size());
        }
        fail(rest, new IllegalStateException("micro-batcher closed with the item still queued"));
        onClose.run();
    }

    private record Pending<I, O>(I item, CompletableFuture<O> future) {}

    /** Builds a {@link MicroBatcher}; {@link #batchFunction} is required, the rest optional. */
    public static final class Builder<I, O> {
        private int maxBatchSize = 32;
        private int maxConcurrentBatches = 1;
        private boolean dispatchWhenIdle;
        private Duration maxDelay = Duration.ofMillis(5);
        private boolean bucketing;
        private BatchFunction<I, O> function;
        private Scheduler scheduler;
        private Executor executor;
        private String threadName = "siglip-batcher";
        private Runnable threadStart = () -> {};

        private Builder() {}

        /** Required: runs each batch. */
        public Builder<I, O> batchFunction(BatchFunction<I, O> function) { this.function = function; return this; }

        public Builder<I, O> maxBatchSize(int size) { this.maxBatchSize = size; return this; }
        public Builder<I, O> maxDelay(Duration delay) { this.maxDelay = delay; return this; }
        /** Batches running at once (default 1: one session, one batch at a time); more items gather meanwhile. */
        public Builder<I, O> maxConcurrentBatches(int n) { this.maxConcurrentBatches = n; return this; }
        /** Start a batch as soon as a run slot is free instead of waiting for the delay (default: wait). */
        public Builder<I, O> dispatchWhenIdle(boolean eager) { this.dispatchWhenIdle = eager; return this; }
        /** Run batches at power-of-two sizes so GPU providers do not re-plan for every size. */
        public Builder<I, O> bucketing(boolean bucketing) { this.bucketing = bucketing; return this; }
        /** Arms the delay flushes; the default is an owned single daemon thread. Tests inject a manual one. */
        public Builder<I, O> scheduler(Scheduler scheduler) { this.scheduler = scheduler; return this; }
        /**
         * Runs the batches; the default is owned daemon threads, one per concurrent batch, named after
         * {@link #threadName} ({@code name-1}, {@code name-2}, ... when there are several).
         */
        public Builder<I, O> executor(Executor executor) { this.executor = executor; return this; }
        public Builder<I, O> threadName(String name) { this.threadName = name; return this; }
        /** Runs first on each owned batch thread, before any batch (e.g. to set its scheduling priority). */
        public Builder<I, O> onBatchThreadStart(Runnable start) { this.threadStart = start; return this; }

        public MicroBatcher<I, O> build() {
            if (function == null) {
                throw new IllegalArgumentException("batchFunction is required");
            }
            if (maxBatchSize < 1) {
                throw new IllegalArgumentException("maxBatchSize must be >= 1, got " + maxBatchSize);
            }
            if (maxConcurrentBatches < 1) {
                throw new IllegalArgumentException("maxConcurrentBatches must be >= 1, got " + maxConcurrentBatches);
            }
            if (maxDelay == null || maxDelay.isNegative()) {
                throw new IllegalArgumentException("maxDelay must be >= 0, got " + maxDelay);
            }
            Scheduler s = scheduler;
            java.util.concurrent.ExecutorService ownedExec = null;
            ScheduledExecutorService ownedSched = null;
            if (s == null) {
                ScheduledExecutorService ses =
                        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(daemon(() -> threadName + "-timer", () -> {}));
                ownedSched = ses;
                s = (task, delay) -> {
                    ScheduledFuture<?> f = ses.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
                    return () -> f.cancel(false);
                };
            }
            Executor e = executor;
            if (e == null) {
                AtomicInteger made = new AtomicInteger();
                ownedExec = java.util.concurrent.Executors.newFixedThreadPool(maxConcurrentBatches, daemon(() -> maxConcurrentBatches == 1
                        ? threadName : threadName + "-" + made.incrementAndGet(), threadStart));
                e = ownedExec;
            }
            java.util.concurrent.ExecutorService fe = ownedExec;
            ScheduledExecutorService fs = ownedSched;
            return new MicroBatcher<>(this, s, e, () -> {
                if (fs != null) {
                    fs.shutdownNow();
                }
                if (fe != null) {
                    fe.shutdown();
                    // Running batches may still be inside the model: whoever closes the model next must wait.
                    try {
                        if (!fe.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                            throw new IllegalStateException("a batch was still running " + CLOSE_WAIT + " after close");
                        }
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while waiting for the running batch", ie);
                    }
                }
            });
        }

        private static java.util.concurrent.ThreadFactory daemon(java.util.function.Supplier<String> name, Runnable start) {
            return r -> {
                Thread t = new Thread(() -> {
                    start.run();
                    r.run();
                }, name.get());
                t.setDaemon(true);
                return t;
            };
        }
    }
}
