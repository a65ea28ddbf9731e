package dev.siglipstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.streaming.api.functions.async.CollectionSupplier;
import org.apache.flink.streaming.api.functions.async.ResultFuture;

/** An async function's result future for tests: what it was completed with, when, and how often. */
public class RecordingResultFuture<T> implements ResultFuture<T> {
    public final AtomicInteger completions = new AtomicInteger();
    public final CountDownLatch done = new CountDownLatch(1);
    public volatile List<T> outputs;
    public volatile Throwable error;
    public volatile long completedAt;

    @Override
    public void complete(Collection<T> result) {
        outputs = new ArrayList<>(result);
        finish();
    }

    @Override
    public void complete(CollectionSupplier<T> supplier) {
        try {
            complete(supplier.get());
        } catch (Exception e) {
            completeExceptionally(e);
        }
    }

    @Override
    public void completeExceptionally(Throwable t) {
        error = t;
        finish();
    }

    private void finish() {
        completions.incrementAndGet();
        completedAt = System.nanoTime();
        done.countDown();
    }

    /** The one output it was completed with, within 30 s and not exceptionally. */
    public T await() throws InterruptedException {
        assertThat(done.await(30, TimeUnit.SECONDS)).as("completed within 30 s").isTrue();
        assertThat(error).as("completed exceptionally").isNull();
        assertThat(outputs).hasSize(1);
        return outputs.get(0);
    }
}
