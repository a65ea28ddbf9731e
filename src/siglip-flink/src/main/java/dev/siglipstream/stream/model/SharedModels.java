package dev.siglipstream.stream.model;

import dev.siglipstream.stream.batching.MicroBatcher;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-JVM registry of model sessions: one {@link EmbeddingModel}, one micro-batcher and four
 * bounded pools per (model, device, settings) — fetching (blocking I/O), preprocessing (CPU, cheapest
 * images first), finishing (ranking and encoding after a batch, so results never wait behind
 * preprocessing) and one thread for the text tower (new label sets) — shared by every subtask in the task manager and reference-counted. Subtasks {@link #acquire} in {@code open()} and close their {@link Handle} in
 * {@code close()}; the last close frees the session.
 */
public final class SharedModels {
    private static final Logger LOG = LoggerFactory.getLogger(SharedModels.class);
    private static final Map<String, Entry> ENTRIES = new HashMap<>();
    /** Texts per text-tower call; bounds memory for large label sets (e.g. 2,000 labels). */
    static final int TEXT_CHUNK = 128;
    private static final int TEXT_CACHE_ENTRIES = 256;
    /** Bound of each model's text-embedding cache: 2,000 labels of a 1,152-dim model take 9 MB. */
    static final long TEXT_CACHE_BYTES = 256L * 1024 * 1024;
    /**
     * Tasks each pool holds queued at most: far above what the async operators' capacity can put there
     * (capacity x subtasks), so it is a safety bound; a task refused by it becomes a dead letter.
     */
    static final int MAX_QUEUED = 16_384;

    private SharedModels() {}

    /** Opens (or joins) the session for {@code spec}; the caller closes the handle exactly once. */
    public static Handle acquire(ModelSpec spec, ModelLoader loader) throws Exception {
        String key = loader.getClass().getName() + "|" + spec;
        Entry entry;
        synchronized (ENTRIES) {
            entry = ENTRIES.get(key);
            if (entry == null) {
                entry = new Entry(key, spec, loader);
                ENTRIES.put(key, entry);
            }
            entry.refs++;
        }
        try {
            entry.ensureOpen();
        } catch (Exception e) {
            release(entry);
            throw e;
        }
        return new Handle(entry);
    }

    /** Number of live sessions in this JVM (for tests). */
    public static int openSessions() {
        synchronized (ENTRIES) {
            return ENTRIES.size();
        }
    }

    private static void release(Entry entry) {
        boolean last;
        synchronized (ENTRIES) {
            last = --entry.refs == 0;
            if (last) {
                ENTRIES.remove(entry.key);
            }
        }
        if (last) {
            entry.shutdown();
        }
    }

    /**
     * One batched image: its embedding, its probabilities against the texts it was submitted with,
     * and the batch it ran in ({@code batchNanos} is the time of the whole batch: assembling it and the
     * vision tower; {@code batchEndNanos} the {@link System#nanoTime()} at which it ended).
     */
    public record ImageResult(float[] embedding, float[] probabilities, int batchSize, long batchNanos, long batchEndNanos) {}

    /**
     * One image waiting for a batch: its pixels, the text embeddings to score it against, what to
     * run when its batch starts, and whether its record has given up on it (then it is left out).
     */
    private record ImageRequest(float[] pixels, float[][] texts, Runnable onBatchStart, BooleanSupplier cancelled) {}

    /** A subtask's reference to a shared session; close once to release it. */
    public static final class Handle implements AutoCloseable {
        private final Entry entry;
        private boolean closed;

        private Handle(Entry entry) {
            this.entry = entry;
        }

        public EmbeddingModel model() {
            return entry.model;
        }

        /**
         * The bounded per-JVM pool for decoding and resizing (never the Flink task thread): images are
         * submitted in the {@link WorkPool#costClass} of their decoded size, so small ones go first.
         */
        public WorkPool preprocessPool() {
            return entry.pool;
        }

        /** The bounded per-JVM pool for fetching images given by URI (blocking I/O). */
        public WorkPool fetchPool() {
            return entry.io;
        }

        /** The bounded per-JVM pool that ranks and encodes results after their batch. */
        public WorkPool finishPool() {
            return entry.finish;
        }

        /**
         * An array for one preprocessed image (3·H·W floats), reused: {@link #embed} takes it back
         * once the batch has copied it, so steady-state preprocessing allocates no pixel arrays.
         * Hand it to {@link #recycle} instead when the image never reaches {@code embed}.
         */
        public float[] pixelBuffer() {
            return entry.pixels.take();
        }

        /** Returns an array from {@link #pixelBuffer()} that will not be passed to {@link #embed}. */
        public void recycle(float[] pixels) {
            entry.pixels.give(pixels);
        }

        /**
         * Queues one preprocessed image for the next batch, to be scored against {@code texts} (L2-normalised
         * text embeddings): the batch runs the vision tower once and then one matrix product per distinct
         * {@code texts} array in it. {@code pixels} belongs to the batcher from here on.
         */
        public CompletableFuture<ImageResult> embed(float[] pixels, float[][] texts) {
            return embed(pixels, texts, () -> {}, () -> false);
        }

        /**
         * As {@link #embed(float[], float[][])}; {@code onBatchStart} runs on the inference thread when the
         * image's batch starts, and an image whose {@code cancelled} is true by then is left out of the
         * batch (its future completes with null).
         */
        public CompletableFuture<ImageResult> embed(float[] pixels, float[][] texts, Runnable onBatchStart,
                BooleanSupplier cancelled) {
            return entry.batcher.submit(new ImageRequest(pixels, texts, onBatchStart, cancelled));
        }

        /** Images waiting for a batch. */
        public int queueDepth() {
            return entry.batcher.queueDepth();
        }

        public long loadTimeMs() {
            return entry.loadTimeMs;
        }

        /**
         * The text embeddings of {@code hypotheses}, computed once per distinct list of texts (keyed by
         * their value) on the session's text thread, in chunks of {@value #TEXT_CHUNK}, and cached within
         * {@value #TEXT_CACHE_ENTRIES} lists and {@link #TEXT_CACHE_BYTES} bytes.
         */
        public CompletableFuture<float[][]> textEmbeddings(List<String> hypotheses) {
            return entry.textEmbeddings(hypotheses);
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                release(entry);
            }
        }
    }

    private static final class Entry {
        final String key;
        final ModelSpec spec;
        final ModelLoader loader;
        int refs;
        volatile EmbeddingModel model;
        volatile MicroBatcher<ImageRequest, ImageResult> batcher;
        volatile PixelArrays pixels;
        volatile WorkPool pool;
        volatile WorkPool io;
        volatile WorkPool finish;
        /** The text tower's own thread: a new label set's encoding never holds up images. */
        volatile WorkPool text;
        volatile long loadTimeMs;
        /** Each inference thread's input buffer (see batchBuffer). */
        private final ThreadLocal<FloatBuffer> scratch = new ThreadLocal<>();
        final TextEmbeddingCache texts = new TextEmbeddingCache(TEXT_CACHE_ENTRIES, TEXT_CACHE_BYTES);

        Entry(String key, ModelSpec spec, ModelLoader loader) {
            this.key = key;
            this.spec = spec;
            this.loader = loader;
        }

        synchronized void ensureOpen() throws Exception {
            if (model != null) {
                return;
            }
            long start = System.nanoTime();
            Integer nice = spec.inferenceNice();
            Integer poolNice = poolNice(spec);
            // Opened at the inference thread's nice value, so that ONNX Runtime's intra-op threads inherit it.
            EmbeddingModel m = nice == null ? loader.load(spec) : ThreadNice.callAt(nice, "siglip-model-load", () -> loader.load(spec));
            loadTimeMs = (System.nanoTime() - start) / 1_000_000;
            LOG.info("Loaded model {} on {} (device {}) in {} ms", m.modelId(), m.provider(), spec.deviceId(), loadTimeMs);
            pool = new WorkPool("siglip-preprocess", spec.preprocessPoolSize(), MAX_QUEUED, threads("siglip-preprocess", poolNice));
            io = new WorkPool("siglip-fetch", spec.fetchThreads(), MAX_QUEUED, threads("siglip-fetch", poolNice));
            finish = new WorkPool("siglip-finish", spec.preprocessPoolSize(), MAX_QUEUED, threads("siglip-finish", poolNice));
            text = new WorkPool("siglip-text", 1, MAX_QUEUED, threads("siglip-text", poolNice));
            pixels = new PixelArrays(3 * m.imageHeight() * m.imageWidth(),
                    2 * spec.maxBatchSize() + 2 * spec.preprocessPoolSize());
            batcher = MicroBatcher.<ImageRequest, ImageResult>builder()
                    .maxBatchSize(spec.maxBatchSize())
                    .maxDelay(Duration.ofMillis(spec.maxBatchDelayMs()))
                    .dispatchWhenIdle(spec.dispatchWhenIdle())
                    .maxConcurrentBatches(spec.concurrentBatches())
                    .bucketing(spec.bucketing())
                    .threadName("siglip-inference")
                    .onBatchThreadStart(() -> applyNice(nice, "siglip.model.inference-nice", "inference thread"))
                    .batchFunction(this::runBatch)
                    .build();
            model = m;
        }

        /** Daemon threads {@code name-1}, {@code name-2}, ... at the pools' nice value. */
        private static java.util.concurrent.ThreadFactory threads(String name, Integer nice) {
            AtomicInteger n = new AtomicInteger();
            return r -> {
                Thread t = new Thread(() -> {
                    applyNice(nice, "siglip.preprocess.nice", "pool thread");
                    r.run();
                }, name + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
        }

        /**
         * The pool threads' nice value. A pool thread starts at the value of whichever thread made it, and
         * the inference thread makes some (it hands each batch's scoring to the pool), so with the model at
         * its own value and none given for the pool, the pool keeps the value of the thread opening the session.
         */
        private static Integer poolNice(ModelSpec spec) {
            if (spec.preprocessNice() != null || spec.inferenceNice() == null) {
                return spec.preprocessNice();
            }
            OptionalInt opener = ThreadNice.current();
            return opener.isPresent() ? opener.getAsInt() : null;
        }

        /** Sets the calling thread's nice value when {@code option} gives one, and says how it went. */
        private static void applyNice(Integer nice, String option, String thread) {
            if (nice == null) {
                return;
            }
            OptionalInt now = ThreadNice.set(nice);
            if (now.isEmpty()) {
                LOG.warn("{} {} ignored: threads have no nice value of their own here", option, nice);
            } else if (now.getAsInt() != nice) {
                LOG.warn("{} {} not permitted (a value below the current one needs CAP_SYS_NICE or a nice ulimit): "
                        + "the {} stays at nice {}", option, nice, thread, now.getAsInt());
            } else {
                LOG.debug("{} {} at nice {}", thread, Thread.currentThread().getName(), nice);
            }
        }

        private List<ImageResult> runBatch(List<ImageRequest> batch, int padded) {
            long start = System.nanoTime();
            // Images whose record timed out meanwhile are left out: their results would go nowhere.
            List<ImageRequest> items = new ArrayList<>(batch.size());
            for (ImageRequest item : batch) {
                if (item.cancelled().getAsBoolean()) {
                    pixels.give(item.pixels());
                } else {
                    item.onBatchStart().run();
                    items.add(item);
                }
            }
            List<ImageResult> results = new ArrayList<>(batch.size());
            if (items.isEmpty()) {
                batch.forEach(b -> results.add(null));
                return results;
            }
            int per = items.get(0).pixels().length;
            FloatBuffer buf = batchBuffer(per, padded);
            for (ImageRequest item : items) {
                buf.put(item.pixels());
                pixels.give(item.pixels());
            }
            // Zeroed padding rows keep the batch at a bucketed size; their outputs are dropped below.
            while (buf.hasRemaining()) {
                buf.put(0f);
            }
            buf.rewind();
            float[][] out = model.imageEmbeddings(buf, padded);
            long end = System.nanoTime();
            long nanos = end - start;
            float[][] probs = probabilities(items, out);
            int live = 0;
            for (ImageRequest item : batch) {
                if (live < items.size() && items.get(live) == item) {
                    results.add(new ImageResult(out[live], probs[live], items.size(), nanos, end));
                    live++;
                } else {
                    results.add(null);
                }
            }
            return results;
        }

        /** One matrix product per label set in the batch (images sharing a {@code texts} array). */
        private float[][] probabilities(List<ImageRequest> items, float[][] embeddings) {
            Map<float[][], List<Integer>> byTexts = new IdentityHashMap<>();
            for (int i = 0; i < items.size(); i++) {
                byTexts.computeIfAbsent(items.get(i).texts(), t -> new ArrayList<>()).add(i);
            }
            float[][] probs = new float[items.size()][];
            for (Map.Entry<float[][], List<Integer>> group : byTexts.entrySet()) {
                List<Integer> rows = group.getValue();
                float[][] images = new float[rows.size()][];
                for (int r = 0; r < images.length; r++) {
                    images[r] = embeddings[rows.get(r)];
                }
                float[][] p = model.probabilities(images, group.getKey());
                for (int r = 0; r < images.length; r++) {
                    probs[rows.get(r)] = p[r];
                }
            }
            return probs;
        }

        /**
         * The direct input buffer of the calling inference thread's next batch, {@code floats} long.
         * Reused from batch to batch: a thread runs one batch at a time, and the session has copied or
         * finished with the buffer when {@code imageEmbeddings} returns. Allocating a fresh direct
         * buffer per batch (19 MB at 32 base-size images) zeroed it and left it to the GC.
         */
        private FloatBuffer batchBuffer(int perItem, int padded) {
            int floats = perItem * padded;
            FloatBuffer b = scratch.get();
            if (b == null || b.capacity() < floats) {
                long capacity = (long) perItem * Math.max(padded, spec.maxBatchSize());
                b = ByteBuffer.allocateDirect(Math.toIntExact(capacity * Float.BYTES)).order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
                scratch.set(b);
            }
            b.clear();
            b.limit(floats);
            return b;
        }

        CompletableFuture<float[][]> textEmbeddings(List<String> hypotheses) {
            List<String> key = List.copyOf(hypotheses);
            TextEmbeddingCache.Lookup found = texts.lookup(key, new CompletableFuture<>());
            CompletableFuture<float[][]> target = found.future();
            if (found.created()) {
                try {
                    text.submit(0, () -> {
                        try {
                            float[][] embeddings = encodeChunked(key);
                            texts.completed(key, target, embeddings);
                            target.complete(embeddings);
                        } catch (Throwable t) {
                            texts.remove(key, target);
                            target.completeExceptionally(t);
                        }
                    });
                } catch (RuntimeException e) {
                    texts.remove(key, target);
                    target.completeExceptionally(e);
                }
            }
            return target;
        }

        private float[][] encodeChunked(List<String> hypotheses) {
            float[][] all = new float[hypotheses.size()][];
            for (int from = 0; from < hypotheses.size(); from += TEXT_CHUNK) {
                int to = Math.min(hypotheses.size(), from + TEXT_CHUNK);
                float[][] part = model.textEmbeddings(hypotheses.subList(from, to));
                System.arraycopy(part, 0, all, from, part.length);
            }
            return all;
        }

        /**
         * Stops the batcher and the pool, then closes the model — only once nothing can still be
         * inside it: closing an ONNX session under a running call crashes the JVM.
         */
        void shutdown() {
            boolean idle = true;
            if (batcher != null) {
                try {
                    batcher.close();
                } catch (IllegalStateException e) {
                    idle = false;
                    LOG.warn("Model {}: {}", spec.model(), e.getMessage());
                }
            }
            for (WorkPool p : new WorkPool[] {io, pool, finish, text}) {
                if (p != null) {
                    p.shutdownNow();
                }
            }
            for (WorkPool p : new WorkPool[] {io, pool, finish, text}) {
                try {
                    idle &= p == null || p.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    idle = false;
                }
            }
            if (model != null) {
                if (idle) {
                    model.close();
                    LOG.info("Closed model {}", spec.model());
                } else {
                    LOG.warn("Model {} left open: work was still running in it after a minute", spec.model());
                }
            }
        }
    }

    /** A free list of equal-sized pixel arrays, at most {@code keep} of them. */
    private static final class PixelArrays {
        private final int length;
        private final int keep;
        private final ConcurrentLinkedQueue<float[]> free = new ConcurrentLinkedQueue<>();
        private final AtomicInteger size = new AtomicInteger();

        PixelArrays(int length, int keep) {
            this.length = length;
            this.keep = keep;
        }

        float[] take() {
            float[] a = free.poll();
            if (a == null) {
                return new float[length];
            }
            size.decrementAndGet();
            return a;
        }

        void give(float[] a) {
            if (a.length == length && size.incrementAndGet() <= keep) {
                free.offer(a);
            } else if (a.length == length) {
                size.decrementAndGet();
            }
        }
    }
}
