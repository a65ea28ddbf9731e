package dev.siglipstream.stream.model;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed number of threads taking tasks from a bounded queue, lowest cost class first and in
 * arrival order within a class; a queued task can be withdrawn and a running one interrupted.
 *
 * <p>The job's preprocessing pool gives each image the class of its decoded size (see
 * {@link #costClass}), so a small image queued behind a flood of large ones is taken as soon as a
 * thread is free instead of after all of them. The fetch and finishing pools use one class (a plain
 * FIFO). {@link #execute} queues in class 0.
 *
 * <pre>{@code
 * WorkPool pool = new WorkPool("siglip-preprocess", 2, 4096, threadFactory);
 * WorkPool.Ticket t = pool.submit(WorkPool.costClass(width * height), () -> decode(bytes));
 * t.cancel(); // the record timed out: withdrawn if still queued, interrupted if running
 * }</pre>
 */
public final class WorkPool extends AbstractExecutorService {
    /** A queued or running task; {@link #cancel} withdraws it. */
    public interface Ticket {
        /** Withdraws the task if it is still queued (true), else interrupts it if it is running (unless called from it). */
        boolean cancel();
    }

    private static final int QUEUED = 0;
    private static final int RUNNING = 1;
    private static final int DONE = 2;

    private final String name;
    private final int maxQueued;
    private final Object lock = new Object();
    private final PriorityQueue<Task> queue = new PriorityQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicInteger alive = new AtomicInteger();
    private long sequence;
    private boolean shutdown;

    /**
     * @param threads worker threads, started now
     * @param maxQueued tasks that may wait at once; one more is refused with RejectedExecutionException
     * @param factory makes the worker threads (name, daemon, priority)
     */
    public WorkPool(String name, int threads, int maxQueued, ThreadFactory factory) {
        if (threads < 1 || maxQueued < 1) {
            throw new IllegalArgumentException(name + ": threads and maxQueued must be >= 1, got " + threads + ", " + maxQueued);
        }
        this.name = name;
        this.maxQueued = maxQueued;
        for (int i = 0; i < threads; i++) {
            Thread t = factory.newThread(this::work);
            this.threads.add(t);
            alive.incrementAndGet();
            t.start();
        }
    }

    /**
     * The cost class of an image of {@code pixels} decoded pixels: 0 up to 1 megapixel, then one class
     * per doubling (1–2 MP class 1, 2–4 MP class 2, ...). Images of one class are taken in arrival order.
     */
    public static int costClass(long pixels) {
        long mp = pixels / 1_000_000L;
        return mp <= 0 ? 0 : 64 - Long.numberOfLeadingZeros(mp);
    }

    /** Queues {@code task} in {@code costClass}; never blocks. */
    public Ticket submit(int costClass, Runnable task) {
        Task t;
        synchronized (lock) {
            if (shutdown) {
                throw new RejectedExecutionException(name + " is shut down");
            }
            if (queue.size() >= maxQueued) {
                throw new RejectedExecutionException(name + " has " + queue.size() + " tasks queued, the most it takes");
            }
            t = new Task(costClass, sequence++, task);
            queue.add(t);
            lock.notify();
        }
        return t;
    }

    @Override
    public void execute(Runnable command) {
        submit(0, command);
    }

    /** Tasks waiting for a thread. */
    public int queued() {
        synchronized (lock) {
            return queue.size();
        }
    }

    private void work() {
        try {
            while (true) {
                Task t;
                synchronized (lock) {
                    while (queue.isEmpty() && !shutdown) {
                        try {
                            lock.wait();
                        } catch (InterruptedException e) {
                            // a stale interrupt of a cancelled task, or shutdownNow: the loop decides
                        }
                    }
                    if (queue.isEmpty()) {
                        return;
                    }
                    t = queue.poll();
                }
                t.run();
            }
        } finally {
            synchronized (lock) {
                alive.decrementAndGet();
                lock.notifyAll();
            }
        }
    }

    @Override
    public void shutdown() {
        synchronized (lock) {
            shutdown = true;
            lock.notifyAll();
        }
    }

    @Override
    public List<Runnable> shutdownNow() {
        List<Runnable> left = new ArrayList<>();
        synchronized (lock) {
            shutdown = true;
            for (Task t : queue) {
                left.add(t.task);
            }
            queue.clear();
            lock.notifyAll();
        }
        for (Thread t : threads) {
            t.interrupt();
        }
        return left;
    }

    @Override
    public boolean isShutdown() {
        synchronized (lock) {
            return shutdown;
        }
    }

    @Override
    public boolean isTerminated() {
        return isShutdown() && alive.get() == 0;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        synchronized (lock) {
            while (alive.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return true;
        }
    }

    private final class Task implements Ticket, Comparable<Task> {
        final int costClass;
        final long seq;
        final Runnable task;
        int state = QUEUED;
        Thread runner;

        Task(int costClass, long seq, Runnable task) {
            this.costClass = costClass;
            this.seq = seq;
            this.task = task;
        }

        void run() {
            synchronized (this) {
                if (state != QUEUED) {
                    return;
                }
                state = RUNNING;
                runner = Thread.currentThread();
            }
            try {
                task.run();
            } catch (Throwable e) {
                // Tasks complete their own futures; nothing may end a worker thread.
            } finally {
                synchronized (this) {
                    state = DONE;
                    runner = null;
                    Thread.interrupted(); // an interrupt meant for this task must not reach the next one
                }
            }
        }

        @Override
        public boolean cancel() {
            synchronized (this) {
                if (state == RUNNING) {
                    if (runner != Thread.currentThread()) {
                        // a task ending its own record (cancelling itself) goes on to finish it, uninterrupted
                        runner.interrupt();
                    }
                    return false;
                }
                if (state == DONE) {
                    return false;
                }
                state = DONE;
            }
            synchronized (lock) {
                queue.remove(this);
            }
            return true;
        }

        @Override
        public int compareTo(Task o) {
            int c = Integer.compare(costClass, o.costClass);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }
}
