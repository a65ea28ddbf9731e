package dev.siglipstream.stream.operator;

import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.LabelScore;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.siglip.internal.NativeRelease;
import dev.siglipstream.siglip.scoring.Scoring;
import dev.siglipstream.stream.gpu.GpuDevices;
import dev.siglipstream.stream.labels.LabelSet;
import dev.siglipstream.stream.metrics.JobMetrics;
import dev.siglipstream.stream.model.EmbeddingModel;
import dev.siglipstream.stream.model.ImageRejectedException;
import dev.siglipstream.stream.model.ModelLoader;
import dev.siglipstream.stream.model.ModelSpec;
import dev.siglipstream.stream.model.SharedModels;
import dev.siglipstream.stream.registry.SchemaRegistryException;
import dev.siglipstream.stream.model.WorkPool;
import java.io.ByteArrayInputStream;
import java.nio.FloatBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The async scoring step: fetches (when the event has a URI) on the fetch pool, preprocesses the
 * image on the preprocessing pool (cheapest images first), hands it to the per-JVM micro-batcher,
 * scores the embedding against the label set's cached text embeddings on the finishing pool, and
 * completes with one scored event — or one dead letter naming the stage it failed in.
 * {@link #asyncInvoke} never blocks, never throws, and every record's {@link ResultFuture} is
 * completed exactly once, whatever any stage throws.
 *
 * <p>Each image's decoded size is read from its header before it is queued: over
 * {@code maxImagePixels} it is IMAGE_TOO_LARGE, over the real-time {@code pixelBudget} it is
 * IMAGE_OVER_BUDGET, both before any decoding. When Flink's async timeout fires, the record's dead
 * letter names the stage it was in ({@code queue}, {@code fetch}, {@code preprocess},
 * {@code text-embeddings}, {@code batch-wait}, {@code inference}, {@code score}) and its queued work
 * is withdrawn (a running fetch or decode is interrupted, an image waiting for a batch is left out).
 *
 * <p>Inference failures complete with a retryable INFERENCE_FAILED dead letter, which the async
 * operator's retry strategy re-runs; when attempts run out that dead letter is what is emitted.
 */
public final class ImageScoringFunction extends RichAsyncFunction<ResolvedEvent, Output> {
    private static final long serialVersionUID = 1L;
    static final String NATIVE_RELEASE_HOOK = "siglip-native-release";
    private static final Logger LOG = LoggerFactory.getLogger(ImageScoringFunction.class);

    /** The stages a record goes through, as dead letters name them. */
    static final String QUEUE = "queue";
    static final String FETCH = "fetch";
    static final String PREPROCESS = "preprocess";
    static final String TEXT_EMBEDDINGS = "text-embeddings";
    static final String BATCH_WAIT = "batch-wait";
    static final String INFERENCE = "inference";
    static final String SCORE = "score";

    /**
     * Settings of the scoring step that are not the model's.
     *
     * @param pixelBudget decoded pixels (width x height, from the header) above which an image is
     *     IMAGE_OVER_BUDGET: the most one image may cost the real-time path
     */
    public record Settings(
            String defaultOutputTopic,
            float defaultThreshold,
            boolean emitEmbedding,
            long maxImagePixels,
            int maxImageBytes,
            long pixelBudget,
            ImageSource imageSource) implements java.io.Serializable {}

    /** Where images given by URI come from (the fetcher, with its allowlist and limits). */
    @FunctionalInterface
    public interface ImageSource extends java.io.Serializable {
        byte[] fetch(String uri) throws ImageRejectedException;
    }

    private final ModelSpec spec;
    private final ModelLoader loader;
    private final Settings settings;
    private final Codecs codecs;

    private transient SharedModels.Handle handle;
    private transient JobMetrics metrics;
    /** The attempt in flight for each record Flink handed in (by identity: the same object comes back in timeout). */
    private transient Map<ResolvedEvent, Attempt> inFlight;

    public ImageScoringFunction(ModelSpec spec, ModelLoader loader, Settings settings, Codecs codecs) {
        this.spec = spec;
        this.loader = loader;
        this.settings = settings;
        this.codecs = codecs;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        // When Flink drops this job's class loader (cancel, savepoint, failover into a new loader), free what the
        // native libraries pinned it with, so the loader and its native copies can be collected before the next
        // run of the job loads them again (deploy/README.md, "Class loading").
        // Only when the job's classes live in a user-code class loader of their own (a job JAR on a cluster):
        // on the application class path (./siglip run, MiniCluster tests) their libraries are the JVM's.
        ClassLoader userCode = ImageScoringFunction.class.getClassLoader();
        if (userCode instanceof org.apache.flink.util.FlinkUserCodeClassLoader) {
            // before anything here touches ImageIO, whose registry would keep this class loader otherwise
            NativeRelease.initImageIoOutsideCallersLoader();
            getRuntimeContext().registerUserCodeClassLoaderReleaseHookIfAbsent(NATIVE_RELEASE_HOOK,
                    () -> LOG.info("Released native resources pinning {}: {} shutdown hooks", userCode, NativeRelease.release(userCode)));
        }
        ModelSpec placed = spec;
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
    public void asyncInvoke(ResolvedEvent event, ResultFuture<Output> resultFuture) {
        if (event.deadLetter() != null) {
            resultFuture.complete(Collections.singletonList(event.deadLetter()));
            return;
        }
        Attempt a = new Attempt(event, resultFuture);
        inFlight.put(event, a);
        try {
            start(a);
        } catch (Throwable t) {
            a.fail(t);
        }
    }

    /**
     * Starts one record: its label set's text embeddings (cached), then the image — read from the
     * record or fetched, measured from its header, preprocessed in its cost class, batched, scored.
     */
    private void start(Attempt a) {
        ResolvedEvent event = a.event;
        EmbeddingModel model = handle.model();
        LabelSet set = event.labelSet();
        a.stage = TEXT_EMBEDDINGS;
        CompletableFuture<float[][]> texts = handle.textEmbeddings(set.hypotheses())
                .exceptionally(t -> {
                    throw new StageException(DeadLetterReason.INFERENCE_FAILED, TEXT_EMBEDDINGS,
                            "encoding label set '" + set.id() + "' failed: " + rootMessage(t), t);
                });
        a.stage = QUEUE;
        CompletableFuture<Loaded> loaded;
        if (event.imageUri() == null) {
            loaded = CompletableFuture.completedFuture(admit(inline(event)));
        } else {
            loaded = a.run(handle.fetchPool(), 0, () -> {
                a.stage = FETCH;
                a.stamps.fetchStart = System.nanoTime();
                Loaded l = admit(fetch(event));
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
            if (c instanceof StageException s) {
                throw s;
            }
            throw new StageException(DeadLetterReason.INFERENCE_FAILED, INFERENCE, "image inference failed: " + rootMessage(t), t);
        }));
        // Ranked and encoded on the finishing pool: never behind preprocessing, and the batcher's thread
        // goes straight back to the next batch.
        embedded.thenCompose(img -> {
            a.stage = SCORE;
            return a.run(handle.finishPool(), 0, () -> score(event, model, img, a.stamps));
        }).whenComplete((out, err) -> {
            if (err == null) {
                a.complete(out);
            } else {
                a.fail(err);
            }
        });
    }

    @Override
    public void timeout(ResolvedEvent event, ResultFuture<Output> resultFuture) {
        if (event.deadLetter() != null) {
            resultFuture.complete(Collections.singletonList(event.deadLetter()));
            return;
        }
        Attempt a = inFlight == null ? null : inFlight.get(event);
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
        Output dead = codecs.deadLetter(event, DeadLetterReason.TIMEOUT, message, stage);
        // Completing the attempt also withdraws its queued work; a second completion Flink ignores.
        if (a == null || !a.complete(dead) || a.rf != resultFuture) {
            resultFuture.complete(Collections.singletonList(dead));
        }
    }

    /** An image's bytes and its decoded size from the header (0 when the header could not be read). */
    private record Loaded(byte[] bytes, long pixels) {}

    private byte[] inline(ResolvedEvent event) {
        byte[] bytes;
        try {
            bytes = event.image(codecs);
        } catch (SchemaRegistryException e) {
            throw e; // the registry's trouble, not the event's: fails the task
        } catch (Exception e) {
            throw new StageException(DeadLetterReason.INTERNAL_ERROR, PREPROCESS,
                    "the event decoded once and not again: " + e.getMessage(), e);
        }
        if (bytes.length > settings.maxImageBytes()) {
            throw new StageException(DeadLetterReason.IMAGE_TOO_LARGE, PREPROCESS,
                    "the image has " + bytes.length + " bytes, the limit is " + settings.maxImageBytes(), null);
        }
        return bytes;
    }

    private byte[] fetch(ResolvedEvent event) {
        try {
            return settings.imageSource().fetch(event.imageUri());
        } catch (ImageRejectedException e) {
            throw new StageException(e.reason(), FETCH, e.getMessage(), e);
        }
    }

    /**
     * Reads the image's size from its header and refuses it before any decoding when it is over the
     * pixel limit (IMAGE_TOO_LARGE) or the real-time budget (IMAGE_OVER_BUDGET).
     */
    private Loaded admit(byte[] bytes) {
        if (bytes.length == 0) {
            throw new StageException(DeadLetterReason.UNDECODABLE_IMAGE, PREPROCESS, "the image is empty (0 bytes)", null);
        }
        long[] size = headerSize(bytes);
        if (size == null) {
            return new Loaded(bytes, 0); // unreadable header: the decoder gives the precise reason
        }
        long pixels = size[0] * size[1];
        if (pixels > settings.maxImagePixels()) {
            throw new StageException(DeadLetterReason.IMAGE_TOO_LARGE, PREPROCESS,
                    "the image is " + size[0] + "x" + size[1] + " = " + pixels
                            + " pixels, the limit is " + settings.maxImagePixels(), null);
        }
        if (pixels > settings.pixelBudget()) {
            throw new StageException(DeadLetterReason.IMAGE_OVER_BUDGET, PREPROCESS,
                    "the image is " + size[0] + "x" + size[1] + " = " + pixels
                            + " pixels, over the real-time budget of " + settings.pixelBudget() + " pixels per image", null);
        }
        return new Loaded(bytes, pixels);
    }

    private float[] preprocess(EmbeddingModel model, byte[] bytes) {
        float[] pixels = handle.pixelBuffer();
        try {
            model.preprocess(bytes, FloatBuffer.wrap(pixels));
        } catch (ImageRejectedException e) {
            handle.recycle(pixels);
            throw new StageException(e.reason(), PREPROCESS, e.getMessage(), e);
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

    private Output score(ResolvedEvent event, EmbeddingModel model, SharedModels.ImageResult img, Stamps stamps) {
        long scoreStart = System.nanoTime();
        float[] probs = img.probabilities();
        LabelSet set = event.labelSet();
        float threshold = set.threshold() != null ? set.threshold() : settings.defaultThreshold();
        List<LabelScore> ranked = new ArrayList<>();
        for (dev.siglipstream.siglip.scoring.LabelScore s : Scoring.rank(probs, set.labels(), set.topK())) {
            ranked.add(new LabelScore(s.label(), s.score(), s.score() >= threshold));
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
        List<Float> embedding = null;
        if (settings.emitEmbedding()) {
            embedding = new ArrayList<>(img.embedding().length);
            for (float f : img.embedding()) {
                embedding.add(f);
            }
        }
        LabelScoreEvent out = LabelScoreEvent.newBuilder()
                .setEventId(event.eventId())
                .setLabelSetId(set.id())
                .setLabelSetVersion(set.version())
                .setModelId(model.modelId())
                .setScores(ranked)
                .setImageEmbedding(embedding)
                .setTimings(timings)
                .setMetadata(event.metadata())
                .setEventTime(Instant.ofEpochMilli(event.eventTime()))
                .setProcessedAt(Instant.now())
                .build();
        metrics.preprocessed(preprocessNanos);
        metrics.batch(img.batchSize(), img.batchNanos());
        String topic = set.outputTopic() != null ? set.outputTopic() : settings.defaultOutputTopic();
        return codecs.scored(topic, out, event.source());
    }

    /**
     * When one event reached each stage ({@link System#nanoTime()}): written by the pool threads,
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

    private Output failure(ResolvedEvent event, Throwable err, String stageNow) {
        Throwable t = unwrap(err);
        DeadLetterReason reason;
        String stage;
        String message;
        if (t instanceof SchemaRegistryException registry) {
            throw registry; // the registry's trouble, not the event's: fails the task
        }
        if (t instanceof StageException s) {
            reason = s.reason;
            stage = s.stage;
            message = s.getMessage();
        } else if (t instanceof java.util.concurrent.RejectedExecutionException) {
            reason = DeadLetterReason.INTERNAL_ERROR;
            stage = stageNow;
            message = "not queued: " + t.getMessage();
        } else {
            reason = DeadLetterReason.INTERNAL_ERROR;
            stage = stageNow;
            message = t.toString();
            LOG.warn("Event {} failed unexpectedly in stage {}", event.eventId(), stageNow, t);
        }
        return codecs.deadLetter(event, reason, message, stage);
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
        final ResolvedEvent event;
        final ResultFuture<Output> rf;
        final Stamps stamps = new Stamps(System.nanoTime());
        volatile String stage = QUEUE;
        private final java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        private final List<WorkPool.Ticket> work = new java.util.concurrent.CopyOnWriteArrayList<>();

        Attempt(ResolvedEvent event, ResultFuture<Output> rf) {
            this.event = event;
            this.rf = rf;
        }

        boolean finished() {
            return done.get();
        }

        /** Runs {@code task} on {@code pool} in {@code costClass}, withdrawn when this attempt ends first. */
        <T> CompletableFuture<T> run(WorkPool pool, int costClass, java.util.concurrent.Callable<T> task) {
            CompletableFuture<T> f = new CompletableFuture<>();
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
        boolean complete(Output out) {
            if (!done.compareAndSet(false, true)) {
                return false;
            }
            inFlight.remove(event, this);
            withdraw();
            rf.complete(Collections.singletonList(out));
            return true;
        }

        void fail(Throwable t) {
            if (finished()) {
                return;
            }
            Output dead;
            try {
                dead = failure(event, t, stage);
            } catch (SchemaRegistryException registry) {
                // Not the event's fault: fail the task, Flink restarts from the checkpoint and tries again.
                withdraw();
                inFlight.remove(event, this);
                rf.completeExceptionally(registry);
                return;
            } catch (Throwable encoding) {
                LOG.error("Event {}: the dead letter for {} could not be written", event.eventId(), t, encoding);
                rf.completeExceptionally(encoding);
                return;
            }
            complete(dead);
        }

        /** Withdraws queued work and interrupts running work. */
        void withdraw() {
            done.set(true);
            for (WorkPool.Ticket t : work) {
                t.cancel();
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

    /** A failure that already knows its dead-letter reason and stage. */
    static final class StageException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final DeadLetterReason reason;
        final String stage;

        StageException(DeadLetterReason reason, String stage, String message, Throwable cause) {
            super(message, cause);
            this.reason = reason;
            this.stage = stage;
        }
    }
}
