package dev.siglipstream.stream.operator;

import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.LabelScore;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.siglip.internal.NativeRelease;
import dev.siglipstream.siglip.pipeline.Scoring;
import dev.siglipstream.stream.gpu.GpuDevices;
import dev.siglipstream.stream.labels.LabelSet;
import dev.siglipstream.stream.metrics.JobMetrics;
import dev.siglipstream.stream.model.EmbeddingModel;
import dev.siglipstream.stream.model.ImageRejectedException;
import dev.siglipstream.stream.model.ModelLoader;
import dev.siglipstream.stream.model.ModelSpec;
import dev.siglipstream.stream.model.SharedModels;
import dev.siglipstream.stream.registry.SchemaRegistryException;
import java.io.ByteArrayInputStream;
import java.nio.FloatBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
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
 * The async scoring step: fetches (when the event has a URI) and preprocesses the image on the
 * shared bounded pool, hands it to the per-JVM micro-batcher, scores the embedding against the
 * label set's cached text embeddings, and completes with one scored event — or one dead letter.
 * {@link #asyncInvoke} never blocks and every {@link ResultFuture} is completed exactly once.
 *
 * <p>Inference failures complete with a retryable INFERENCE_FAILED dead letter, which the async
 * operator's retry strategy re-runs; when attempts run out that dead letter is what is emitted.
 */
public final class ImageScoringFunction extends RichAsyncFunction<ResolvedEvent, Output> {
    private static final long serialVersionUID = 1L;
    static final String NATIVE_RELEASE_HOOK = "siglip-native-release";
    private static final Logger LOG = LoggerFactory.getLogger(ImageScoringFunction.class);

    /** Settings of the scoring step that are not the model's. */
    public record Settings(
            String defaultOutputTopic,
            float defaultThreshold,
            boolean emitEmbedding,
            long maxImagePixels,
            int maxImageBytes,
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
    /** The preprocessing pool; the calling thread once the pool has shut down (the job is closing). */
    private transient java.util.concurrent.Executor scoringExecutor;

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
        java.util.concurrent.ExecutorService pool = handle.preprocessPool();
        scoringExecutor = task -> {
            try {
                pool.execute(task);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                task.run(); // a rejected hand-off would leave the event's future never completed
            }
        };
        EmbeddingModel m = handle.model();
        metrics.model(handle::queueDepth, handle.loadTimeMs(), m.provider(), m.cpuFallback());
    }

    @Override
    public void close() {
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
        long start = System.nanoTime();
        EmbeddingModel model = handle.model();
        LabelSet set = event.labelSet();
        CompletableFuture<float[][]> texts = handle.textEmbeddings(set.hypotheses())
                .exceptionally(t -> {
                    throw new StageException(DeadLetterReason.INFERENCE_FAILED, "text-embeddings",
                            "encoding label set '" + set.id() + "' failed: " + rootMessage(t), t);
                });
        Stamps stamps = new Stamps(start);
        CompletableFuture<SharedModels.ImageResult> image;
        try {
            image = CompletableFuture.supplyAsync(() -> {
                stamps.picked = System.nanoTime();
                byte[] bytes = load(event);
                stamps.preprocessStart = System.nanoTime();
                float[] pixels = preprocess(model, bytes);
                stamps.preprocessEnd = System.nanoTime();
                return pixels;
            }, handle.preprocessPool()).thenCompose(pixels -> texts.whenComplete((txt, err) -> {
                if (err != null) handle.recycle(pixels);
            }).thenCompose(txt -> handle.embed(pixels, txt).exceptionally(t -> {
                throw new StageException(DeadLetterReason.INFERENCE_FAILED, "inference",
                        "image inference failed: " + rootMessage(t), t);
            })));
        } catch (RuntimeException rejected) {
            image = CompletableFuture.failedFuture(rejected);
        }
        // Ranked and encoded on the pool, so the batcher's thread goes straight back to the next batch.
        image.thenApplyAsync(img -> score(event, model, img, stamps), scoringExecutor)
                .whenComplete((out, err) -> {
                    Output result;
                    try {
                        result = err == null ? out : failure(event, err);
                    } catch (SchemaRegistryException e) {
                        // Not the event's fault: fail the task, Flink restarts from the checkpoint.
                        resultFuture.completeExceptionally(e);
                        return;
                    }
                    resultFuture.complete(Collections.singletonList(result));
                });
    }

    @Override
    public void timeout(ResolvedEvent event, ResultFuture<Output> resultFuture) {
        if (event.deadLetter() != null) {
            resultFuture.complete(Collections.singletonList(event.deadLetter()));
            return;
        }
        resultFuture.complete(Collections.singletonList(codecs.deadLetter(event,
                DeadLetterReason.TIMEOUT, "not scored within the async timeout (retries included)", "inference")));
    }

    private byte[] load(ResolvedEvent event) {
        byte[] bytes;
        if (event.imageUri() == null) {
            try {
                bytes = event.image(codecs);
            } catch (SchemaRegistryException e) {
                throw e;
            } catch (Exception e) {
                throw new StageException(DeadLetterReason.INTERNAL_ERROR, "preprocess",
                        "the event decoded once and not again: " + e.getMessage(), e);
            }
            if (bytes.length > settings.maxImageBytes()) {
                throw new StageException(DeadLetterReason.IMAGE_TOO_LARGE, "preprocess",
                        "the image has " + bytes.length + " bytes, the limit is " + settings.maxImageBytes(), null);
            }
        } else {
            try {
                bytes = settings.imageSource().fetch(event.imageUri());
            } catch (ImageRejectedException e) {
                throw new StageException(e.reason(), "fetch", e.getMessage(), e);
            }
        }
        return bytes;
    }

    private float[] preprocess(EmbeddingModel model, byte[] bytes) {
        if (model.pixelLimit() > settings.maxImagePixels()) {
            checkPixels(bytes);
        } else if (bytes.length == 0) {
            throw new StageException(DeadLetterReason.UNDECODABLE_IMAGE, "preprocess", "the image is empty (0 bytes)", null);
        }
        // else the model's decoder refuses an oversized image from its header, as checkPixels would
        float[] pixels = handle.pixelBuffer();
        try {
            model.preprocess(bytes, FloatBuffer.wrap(pixels));
        } catch (ImageRejectedException e) {
            handle.recycle(pixels);
            throw new StageException(e.reason(), "preprocess", e.getMessage(), e);
        } catch (RuntimeException e) {
            handle.recycle(pixels);
            throw e;
        }
        return pixels;
    }

    /** Reads only the header, so a 50,000 x 50,000 image is refused before anything is allocated. */
    private void checkPixels(byte[] bytes) {
        if (bytes.length == 0) {
            throw new StageException(DeadLetterReason.UNDECODABLE_IMAGE, "preprocess", "the image is empty (0 bytes)", null);
        }
        // In memory: ImageIO.createImageInputStream would cache every image in a temporary file
        // (ImageIO's useCache defaults to true), a file created and deleted per event.
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return; // the decoder gives the precise reason
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > settings.maxImagePixels()) {
                    throw new StageException(DeadLetterReason.IMAGE_TOO_LARGE, "preprocess",
                            "the image is " + reader.getWidth(0) + "x" + reader.getHeight(0) + " = " + pixels
                                    + " pixels, the limit is " + settings.maxImagePixels(), null);
                }
            } finally {
                reader.dispose();
            }
        } catch (java.io.IOException | RuntimeException e) {
            if (e instanceof StageException s) {
                throw s;
            }
            // An unreadable header: let the decoder report it.
        }
    }

    private Output score(ResolvedEvent event, EmbeddingModel model, SharedModels.ImageResult img, Stamps stamps) {
        long scoreStart = System.nanoTime();
        float[] probs = img.probabilities();
        LabelSet set = event.labelSet();
        float threshold = set.threshold() != null ? set.threshold() : settings.defaultThreshold();
        List<LabelScore> ranked = new ArrayList<>();
        for (dev.siglipstream.siglip.pipeline.LabelScore s : Scoring.rank(probs, set.labels(), set.topK())) {
            ranked.add(new LabelScore(s.label(), s.score(), s.score() >= threshold));
        }
        long preprocessNanos = stamps.preprocessEnd - stamps.preprocessStart;
        Map<String, Long> timings = new HashMap<>();
        // Microseconds of each stage, in order; they add up to "total".
        timings.put("queue", (stamps.picked - stamps.start) / 1000);
        timings.put("fetch", (stamps.preprocessStart - stamps.picked) / 1000);
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
     * When one event reached each stage ({@link System#nanoTime()}): written by the preprocessing
     * thread, read by the scoring one after the futures between them completed.
     */
    private static final class Stamps {
        final long start;
        long picked;
        long preprocessStart;
        long preprocessEnd;

        Stamps(long start) {
            this.start = start;
        }
    }

    private Output failure(ResolvedEvent event, Throwable err) {
        Throwable t = err;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
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
        } else {
            reason = DeadLetterReason.INTERNAL_ERROR;
            stage = "score";
            message = t.toString();
            LOG.warn("Event {} failed unexpectedly", event.eventId(), t);
        }
        return codecs.deadLetter(event, reason, message, stage);
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
