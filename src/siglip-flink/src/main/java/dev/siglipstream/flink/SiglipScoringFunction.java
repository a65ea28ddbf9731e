package dev.siglipstream.flink;

import dev.siglipstream.siglip.internal.NativeRelease;
import dev.siglipstream.siglip.scoring.LabelScore;
import dev.siglipstream.siglip.scoring.Scoring;
import dev.siglipstream.stream.gpu.GpuDevices;
import dev.siglipstream.stream.metrics.JobMetrics;
import dev.siglipstream.stream.model.EmbeddingModel;
import dev.siglipstream.stream.model.ImageRejectedException;
import dev.siglipstream.stream.model.ModelLoader;
import dev.siglipstream.stream.model.ModelSpec;
import dev.siglipstream.stream.model.SharedModels;
import dev.siglipstream.stream.model.WorkPool;
import java.io.ByteArrayInputStream;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The async SigLIP scoring step over any element type: finds the element's label set, reads its
 * image (bytes from the element, or fetched by URI on the fetch pool), checks its size from the
 * header, preprocesses it on the shared preprocessing pool (cheapest images first), hands it to the
 * per-JVM micro-batcher of the shared model session, and ranks the labels on the finishing pool.
 * Each record completes exactly once, with a {@link ScoredImage} or a {@link ScoringFailure} naming
 * the reason and the stage; {@link #asyncInvoke} never blocks and never throws.
 *
 * <p>Made by {@link SiglipScoring#function()}; use it with {@code AsyncDataStream} (it must head its
 * operator chain's async operator), or let {@link SiglipScoring#apply} do that and split the outcomes.
 * When Flink's async timeout fires, the record's failure is TIMEOUT in the stage it was in, and its
 * queued work is withdrawn (a running fetch or decode is interrupted, an image waiting for a batch is
 * left out). Every subtask of every scoring operator in a task manager with the same model settings
 * shares one model session ({@link SharedModels}).
 *
 * @param <T> the input element type
 */
@PublicEvolving
public final class SiglipScoringFunction<T> extends RichAsyncFunction<T, ScoringOutcome<T>> {
    private static final long serialVersionUID = 1L;
    static final String NATIVE_RELEASE_HOOK = "siglip-native-release";
    private static final Logger LOG = LoggerFactory.getLogger(SiglipScoringFunction.class);

    /** The stages a record goes through, as failures name them. */
    static final String RESOLVE = "resolve";
    static final String QUEUE = "queue";
    static final String FETCH = "fetch";
    static final String PREPROCESS = "preprocess";
    static final String TEXT_EMBEDDINGS = "text-embeddings";
    static final String BATCH_WAIT = "batch-wait";
    static final String INFERENCE = "inference";
    static final String SCORE = "score";

    private final SiglipScoringBuilder.Settings<T> s;

    private transient SharedModels.Handle handle;
    private transient JobMetrics metrics;
    /** The attempt in flight for each record Flink handed in (by identity: the same object comes back in timeout). */
    private transient Map<T, Attempt> inFlight;

    SiglipScoringFunction(SiglipScoringBuilder.Settings<T> settings) {
        this.s = settings;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        // When Flink drops this job's class loader (cancel, savepoint, failover into a new loader), free what the
        // native libraries pinned it with, so the loader and its native copies can be collected before the next
        // run of the job loads them again (deploy/README.md, "Class loading").
        // Only when the job's classes live in a user-code class loader of their own (a job JAR on a cluster):
        // on the application class path (./siglip run, MiniCluster tests) their libraries are the JVM's.
        ClassLoader userCode = SiglipScoringFunction.class.getClassLoader();
        if (userCode instanceof org.apache.flink.util.FlinkUserCodeClassLoader) {
            // before anything here touches ImageIO, whose registry would keep this class loader otherwise
            NativeRelease.initImageIoOutsideCallersLoader();
            getRuntimeContext().registerUserCodeClassLoaderReleaseHookIfAbsent(NATIVE_RELEASE_HOOK,
                    () -> LOG.info("Released native resources pinning {}: {} shutdown hooks", userCode, NativeRelease.release(userCode)));
        }
        ModelSpec spec = s.spec();
        ModelSpec placed;
        if (!"cpu".equalsIgnoreCase(spec.provider())) {
            int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
            OptionalInt gpu = GpuDevices.deviceIndex(
                    getRuntimeContext().getExternalResourceInfos(GpuDevices.RESOURCE_NAME), subtask);
            int device = gpu.orElse(Math.max(0, spec.deviceId()));
            placed = spec.onDevice(spec.provider(), device);
            LOG.info("Subtask {} runs {} on GPU {} ({})", subtask, spec.provider(), device,
                    gpu.isPresent() ? "from the 'gpu' external resource" : "no 'gpu' external resource configured");
        } else {
            placed = spec.onDevice("cpu", -1);
        }
        ModelLoader loader = s.loader();
        handle = SharedModels.acquire(placed, loader);
        metrics = new JobMetrics(getRuntimeContext().getMetricGroup());
        inFlight = Collections.synchronizedMap(new IdentityHashMap<>());
        EmbeddingModel m = handle.model();
        metrics.model(handle::queueDepth, handle.loadTimeMs(), m.provider(), m.cpuFallback());
    }

    @Override
    public void close() {
        if (inFlight != null) {
            // The subtask is going away: its queued work would only take the shared pools from the others.
            List<Attempt> left;
            synchronized (inFlight) {
                left = new ArrayList<>(inFlight.values());
                inFlight.clear();
            }
            left.forEach(Attempt::withdraw);
        }
        if (handle != null) {
            handle.close();
            handle = null;
        }
    }

    @Override
    public void asyncInvoke(T element, ResultFuture<ScoringOutcome<T>> resultFuture) {
        Attempt a = new Attempt(element, resultFuture);
        inFlight.put(element, a);
        try {
            start(a);
        } catch (Throwable t) {
            a.fail(t);
        }
    }

    /**
     * Starts one record: its label set's text embeddings (cached), then the image — read from the
     * element or fetched, measured from its header, preprocessed in its cost class, batched, scored.
     */
    private void start(Attempt a) throws Exception {
        T element = a.element;
        EmbeddingModel model = handle.model();
        a.stage = RESOLVE;
        CandidateLabels set = labels(element);
        a.stage = TEXT_EMBEDDINGS;
        CompletableFuture<float[][]> texts = handle.textEmbeddings(set.hypotheses())
                .exceptionally(t -> {
                    throw new StageException(FailureReason.INFERENCE_FAILED, TEXT_EMBEDDINGS,
                            "encoding label set '" + set.id() + "' failed: " + rootMessage(t), t);
                });
        a.stage = QUEUE;
        String uri = extract(s.imageUri(), element, PREPROCESS);
        CompletableFuture<Loaded> loaded;
        if (uri == null) {
            loaded = CompletableFuture.completedFuture(admit(inline(element)));
        } else {
            loaded = a.run(handle.fetchPool(), 0, () -> {
                a.stage = FETCH;
                a.stamps.fetchStart = System.nanoTime();
                Loaded l = admit(fetch(uri));
                a.stamps.fetchEnd = System.nanoTime();
                a.stage = QUEUE;
                return l;
            });
        }
        CompletableFuture<float[]> pixels = loaded.thenCompose(l -> a.run(handle.preprocessPool(), WorkPool.costClass(l.pixels()), () -> {
            a.stage = PREPROCESS;
            a.stamps.preprocessStart = System.nanoTime();
            float[] px = preprocess(model, l.bytes());
            a.stamps.preprocessEnd = System.nanoTime();
            if (a.finished()) {
                handle.recycle(px);
                throw new CancellationException("timed out");
            }
            a.stage = texts.isDone() ? BATCH_WAIT : TEXT_EMBEDDINGS;
            return px;
        }));
        CompletableFuture<SharedModels.ImageResult> embedded = pixels.thenCompose(px -> texts.whenComplete((txt, err) -> {
            if (err != null) {
                handle.recycle(px);
            }
        }).thenCompose(txt -> {
            a.stage = BATCH_WAIT;
            return handle.embed(px, txt, () -> a.stage = INFERENCE, a::finished);
        }).exceptionally(t -> {
            Throwable c = unwrap(t);
            if (c instanceof StageException se) {
                throw se;
            }
            throw new StageException(FailureReason.INFERENCE_FAILED, INFERENCE, "image inference failed: " + rootMessage(t), t);
        }));
        // Ranked on the finishing pool: never behind preprocessing, and the batcher's thread goes straight
        // back to the next batch. Whoever consumes the result (e.g. an encoder) runs there too.
        embedded.thenCompose(img -> {
            a.stage = SCORE;
            return a.run(handle.finishPool(), 0, () -> score(element, set, model, img, a.stamps));
        }).whenComplete((out, err) -> {
            if (err == null) {
                a.complete(out);
            } else {
                a.fail(err);
            }
        });
    }

    @Override
    public void timeout(T element, ResultFuture<ScoringOutcome<T>> resultFuture) {
        Attempt a = inFlight == null ? null : inFlight.get(element);
        String stage;
        String message;
        if (a == null) {
            // Between attempts: the last one ended in an inference failure and waits to be retried.
            stage = INFERENCE;
            message = "not scored within the async timeout (retries included); it was waiting to retry inference";
        } else {
            stage = a.stage;
            message = "not scored within the async timeout (retries included); it was in stage '" + stage + "'";
        }
        ScoringFailure<T> failure = new ScoringFailure<>(element, FailureReason.TIMEOUT, stage, message);
        // Completing the attempt also withdraws its queued work; a second completion Flink ignores.
        if (a == null || !a.complete(failure) || !a.rf.equals(resultFuture)) {
            resultFuture.complete(Collections.singletonList(failure));
        }
    }

    /** The element's label set: its own, or the static set its id names (or the default). */
    private CandidateLabels labels(T element) throws Exception {
        CandidateLabels set;
        if (s.labelSet() != null) {
            set = extract(s.labelSet(), element, RESOLVE);
            if (set == null) {
                throw new StageException(FailureReason.UNKNOWN_LABEL_SET, RESOLVE, "the element has no label set", null);
            }
        } else {
            String id = extract(s.labelSetId(), element, RESOLVE);
            if (id == null) {
                id = s.defaultLabelSet();
            }
            if (id == null) {
                throw new StageException(FailureReason.UNKNOWN_LABEL_SET, RESOLVE,
                        "the element names no label set and there is no default", null);
            }
            set = s.labelSets().get(id);
            if (set == null) {
                throw new StageException(FailureReason.UNKNOWN_LABEL_SET, RESOLVE, unknownSet(id, s.labelSets().keySet()), null);
            }
        }
        if (set.labels().isEmpty()) {
            throw new StageException(FailureReason.EMPTY_LABEL_SET, RESOLVE, "label set '" + set.id() + "' has no labels", null);
        }
        return set;
    }

    /** The message of an element whose label set {@code id} is not among {@code known}. */
    static String unknownSet(String id, java.util.Collection<String> known) {
        return "no label set '" + id + "' (known: " + String.join(", ", new java.util.TreeSet<>(known)) + ")";
    }

    /** {@code fn} applied to the element (null when there is no {@code fn}); what it throws is the element's failure. */
    private <R> R extract(SerializableFunction<T, R> fn, T element, String stage) throws Exception {
        if (fn == null) {
            return null;
        }
        try {
            return fn.apply(element);
        } catch (StageException e) {
            throw e; // already knows its reason (e.g. no label set was found for the element upstream)
        } catch (Exception e) {
            if (s.failsTask(e)) {
                throw e;
            }
            throw new StageException(FailureReason.INTERNAL_ERROR, stage,
                    e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
    }

    /** An image's bytes and its decoded size from the header (0 when the header could not be read). */
    private record Loaded(byte[] bytes, long pixels) {}

    private byte[] inline(T element) throws Exception {
        byte[] bytes = extract(s.imageBytes(), element, PREPROCESS);
        if (bytes == null) {
            throw new StageException(FailureReason.MALFORMED_EVENT, PREPROCESS, "the element has neither image bytes nor an image URI", null);
        }
        if (bytes.length > s.maxImageBytes()) {
            throw new StageException(FailureReason.IMAGE_TOO_LARGE, PREPROCESS,
                    "the image has " + bytes.length + " bytes, the limit is " + s.maxImageBytes(), null);
        }
        return bytes;
    }

    private byte[] fetch(String uri) {
        try {
            return s.imageSource().fetch(uri);
        } catch (ImageRejectedException e) {
            throw new StageException(FailureReason.valueOf(e.reason().name()), FETCH, e.getMessage(), e);
        }
    }

    /**
     * Reads the image's size from its header and refuses it before any decoding when it is over the
     * pixel limit (IMAGE_TOO_LARGE) or the real-time budget (IMAGE_OVER_BUDGET).
     */
    private Loaded admit(byte[] bytes) {
        if (bytes.length == 0) {
            throw new StageException(FailureReason.UNDECODABLE_IMAGE, PREPROCESS, "the image is empty (0 bytes)", null);
        }
        long[] size = headerSize(bytes);
        if (size == null) {
            return new Loaded(bytes, 0); // unreadable header: the decoder gives the precise reason
        }
        long pixels = size[0] * size[1];
        if (pixels > s.maxImagePixels()) {
            throw new StageException(FailureReason.IMAGE_TOO_LARGE, PREPROCESS,
                    "the image is " + size[0] + "x" + size[1] + " = " + pixels
                            + " pixels, the limit is " + s.maxImagePixels(), null);
        }
        if (pixels > s.pixelBudget()) {
            throw new StageException(FailureReason.IMAGE_OVER_BUDGET, PREPROCESS,
                    "the image is " + size[0] + "x" + size[1] + " = " + pixels
                            + " pixels, over the real-time budget of " + s.pixelBudget() + " pixels per image", null);
        }
        return new Loaded(bytes, pixels);
    }

    private float[] preprocess(EmbeddingModel model, byte[] bytes) {
        float[] pixels = handle.pixelBuffer();
        try {
            model.preprocess(bytes, FloatBuffer.wrap(pixels));
        } catch (ImageRejectedException e) {
            handle.recycle(pixels);
            throw new StageException(FailureReason.valueOf(e.reason().name()), PREPROCESS, e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            handle.recycle(pixels);
            throw e;
        }
        return pixels;
    }

    /**
     * Width and height from the header alone, so a 50,000 x 50,000 image is refused before anything
     * is allocated; null when no reader knows the format or the header is unreadable.
     */
    static long[] headerSize(byte[] bytes) {
        // In memory: ImageIO.createImageInputStream would cache every image in a temporary file
        // (ImageIO's useCache defaults to true), a file created and deleted per event.
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return null;
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return new long[] {reader.getWidth(0), reader.getHeight(0)};
            } finally {
                reader.dispose();
            }
        } catch (java.io.IOException | RuntimeException e) {
            return null; // an unreadable header: let the decoder report it
        }
    }

    private ScoredImage<T> score(T element, CandidateLabels set, EmbeddingModel model, SharedModels.ImageResult img, Stamps stamps) {
        long scoreStart = System.nanoTime();
        float[] probs = img.probabilities();
        float threshold = set.threshold() != null ? set.threshold() : s.defaultThreshold();
        List<ScoredLabel> ranked = new ArrayList<>();
        for (LabelScore ls : Scoring.rank(probs, set.labels(), set.topK())) {
            ranked.add(new ScoredLabel(ls.label(), ls.score(), ls.score() >= threshold));
        }
        long preprocessNanos = stamps.preprocessEnd - stamps.preprocessStart;
        long fetchNanos = stamps.fetchEnd - stamps.fetchStart;
        Map<String, Long> timings = new HashMap<>();
        // Microseconds of each stage, in order; they add up to "total". "queue" is the time spent waiting
        // for a pool thread (to fetch, then to preprocess).
        timings.put("queue", (stamps.preprocessStart - stamps.start - fetchNanos) / 1000);
        timings.put("fetch", fetchNanos / 1000);
        timings.put("preprocess", preprocessNanos / 1000);
        timings.put("batchWait", (img.batchEndNanos() - img.batchNanos() - stamps.preprocessEnd) / 1000);
        timings.put("inference", img.batchNanos() / 1000);
        timings.put("scoreWait", (scoreStart - img.batchEndNanos()) / 1000);
        timings.put("batchSize", (long) img.batchSize());
        timings.put("total", (System.nanoTime() - stamps.start) / 1000);
        metrics.preprocessed(preprocessNanos);
        metrics.batch(img.batchSize(), img.batchNanos());
        return new ScoredImage<>(element, set.id(), set.version(), model.modelId(), ranked,
                s.emitEmbedding() ? img.embedding() : null, timings);
    }

    /**
     * When one record reached each stage ({@link System#nanoTime()}): written by the pool threads,
     * read by the finishing one after the futures between them completed.
     */
    private static final class Stamps {
        final long start;
        long fetchStart;
        long fetchEnd;
        long preprocessStart;
        long preprocessEnd;

        Stamps(long start) {
            this.start = start;
        }
    }

    private ScoringFailure<T> failure(T element, Throwable err, String stageNow) {
        Throwable t = unwrap(err);
        if (t instanceof StageException se) {
            return new ScoringFailure<>(element, se.reason, se.stage, se.getMessage());
        }
        if (t instanceof RejectedExecutionException) {
            return new ScoringFailure<>(element, FailureReason.INTERNAL_ERROR, stageNow, "not queued: " + t.getMessage());
        }
        LOG.warn("Element {} failed unexpectedly in stage {}", describe(element), stageNow, t);
        return new ScoringFailure<>(element, FailureReason.INTERNAL_ERROR, stageNow, t.toString());
    }

    private String describe(T element) {
        if (s.elementId() == null) {
            return "";
        }
        try {
            return String.valueOf(s.elementId().apply(element));
        } catch (Exception e) {
            return "?";
        }
    }

    private static Throwable unwrap(Throwable err) {
        Throwable t = err;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /**
     * One try at one record: the stage it is in, the pool work it has queued, and its result future,
     * completed once — by the last stage, by the first failure, or by Flink's timeout.
     */
    private final class Attempt {
        final T element;
        final ResultFuture<ScoringOutcome<T>> rf;
        final Stamps stamps = new Stamps(System.nanoTime());
        volatile String stage = QUEUE;
        private final AtomicBoolean done = new AtomicBoolean();
        private final List<WorkPool.Ticket> work = new CopyOnWriteArrayList<>();

        Attempt(T element, ResultFuture<ScoringOutcome<T>> rf) {
            this.element = element;
            this.rf = rf;
        }

        boolean finished() {
            return done.get();
        }

        /** Runs {@code task} on {@code pool} in {@code costClass}, withdrawn when this attempt ends first. */
        <R> CompletableFuture<R> run(WorkPool pool, int costClass, Callable<R> task) {
            CompletableFuture<R> f = new CompletableFuture<>();
            if (finished()) {
                f.cancel(false);
                return f;
            }
            WorkPool.Ticket ticket = pool.submit(costClass, () -> {
                if (finished()) {
                    f.cancel(false);
                    return;
                }
                try {
                    f.complete(task.call());
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                }
            });
            work.add(ticket);
            if (finished()) {
                ticket.cancel(); // ended while the task was being queued
            }
            return f;
        }

        /** Completes the record with {@code out} unless it is already complete; true when this call did. */
        boolean complete(ScoringOutcome<T> out) {
            if (!done.compareAndSet(false, true)) {
                return false;
            }
            inFlight.remove(element, this);
            withdraw();
            rf.complete(Collections.singletonList(out));
            return true;
        }

        void fail(Throwable t) {
            if (finished()) {
                return;
            }
            Throwable cause = unwrap(t);
            if (s.failsTask(cause)) {
                // Not the record's fault (e.g. an unreachable service the extractor needs): fail the task, Flink
                // restarts from the checkpoint and tries again.
                withdraw();
                inFlight.remove(element, this);
                rf.completeExceptionally(cause);
                return;
            }
            complete(failure(element, t, stage));
        }

        /** Withdraws queued work and interrupts running work. */
        void withdraw() {
            done.set(true);
            for (WorkPool.Ticket ticket : work) {
                ticket.cancel();
            }
        }
    }

    private static String rootMessage(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        return r.getMessage() == null ? r.toString() : r.getMessage();
    }

    /** A failure that already knows its reason and stage. */
    static final class StageException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final FailureReason reason;
        final String stage;

        StageException(FailureReason reason, String stage, String message, Throwable cause) {
            super(message, cause);
            this.reason = Objects.requireNonNull(reason);
            this.stage = stage;
        }
    }
}
