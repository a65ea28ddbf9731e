package dev.siglipstream.flink.sql;

import dev.siglipstream.siglip.scoring.LabelScore;
import dev.siglipstream.siglip.scoring.Scoring;
import dev.siglipstream.stream.fetch.FetchException;
import dev.siglipstream.stream.fetch.ImageFetcher;
import dev.siglipstream.stream.gpu.GpuDevices;
import dev.siglipstream.stream.model.ImageRejectedException;
import dev.siglipstream.stream.model.ModelLoader;
import dev.siglipstream.stream.model.ModelSpec;
import dev.siglipstream.stream.model.SharedModels;
import dev.siglipstream.stream.model.WorkPool;
import java.nio.FloatBuffer;
import java.util.Collection;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.FunctionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One parallel instance of a SigLIP SQL model: fetches each image given by URI on the shared session's fetch
 * pool, decodes it on its preprocessing pool, queues it for the session's micro-batcher, and ranks its scores
 * against the model's labels on the finishing pool, completing with one output row. Never blocks the caller. Owns its handle on the shared
 * session: {@link #close} releases it (the last handle closes the model).
 */
final class SiglipTagger implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SiglipTagger.class);

    private final PredictSettings settings;
    private final SharedModels.Handle handle;
    /** Fetches the images of a URI input; null when the input holds the image bytes. */
    private final ImageFetcher fetcher;
    private final Counter scored;
    private final Counter failed;

    private SiglipTagger(PredictSettings settings, SharedModels.Handle handle, MetricGroup metrics) {
        this.settings = settings;
        this.handle = handle;
        this.fetcher = settings.fetchPolicy() == null ? null : new ImageFetcher(settings.fetchPolicy());
        MetricGroup group = metrics.addGroup("siglip");
        this.scored = group.counter("imagesScored");
        this.failed = group.counter("imagesFailed");
        group.gauge("batchQueueDepth", handle::queueDepth);
    }

    /**
     * Joins (or opens, with {@code loader}) the session for the settings, on this instance's GPU when the
     * provider is one.
     */
    static SiglipTagger open(PredictSettings settings, ModelLoader loader, FunctionContext context) throws Exception {
        ModelSpec spec = settings.spec();
        if (!"cpu".equals(spec.provider())) {
            OptionalInt gpu = GpuDevices.deviceIndex(context.getExternalResourceInfos(GpuDevices.RESOURCE_NAME),
                    context.getTaskInfo().getIndexOfThisSubtask());
            if (gpu.isPresent()) {
                spec = spec.onDevice(spec.provider(), gpu.getAsInt());
            }
        }
        SharedModels.Handle handle = SharedModels.acquire(spec, loader);
        try {
            // Encode the labels now: the first image then waits only for its own batch.
            handle.textEmbeddings(settings.hypotheses());
            return new SiglipTagger(settings, handle, context.getMetricGroup());
        } catch (RuntimeException | Error e) {
            handle.close();
            throw e;
        }
    }

    /**
     * The output row of the image (or image URI) in column 0 of {@code input}. An image that cannot be scored gives NULL
     * outputs and its reason in the error column; a failure of the model itself fails the future.
     */
    CompletableFuture<Collection<RowData>> predict(RowData input) {
        CompletableFuture<byte[]> image;
        if (fetcher == null) {
            byte[] bytes = input.isNullAt(0) ? null : input.getBinary(0);
            if (bytes == null || bytes.length == 0) {
                return CompletableFuture.completedFuture(List.of(unscored(bytes == null ? "the image is NULL" : "the image is empty (0 bytes)")));
            }
            image = CompletableFuture.completedFuture(bytes);
        } else {
            String uri = input.isNullAt(0) ? null : input.getString(0).toString().trim();
            if (uri == null || uri.isEmpty()) {
                return CompletableFuture.completedFuture(List.of(unscored(uri == null ? "the image URI is NULL" : "the image URI is empty")));
            }
            image = on(handle.fetchPool(), () -> {
                try {
                    return fetcher.fetch(uri);
                } catch (FetchException e) {
                    throw new UnscorableImage(e.getMessage(), e);
                }
            });
        }
        CompletableFuture<float[][]> texts = handle.textEmbeddings(settings.hypotheses());
        return image
                .thenCompose(bytes -> on(handle.preprocessPool(), () -> preprocess(bytes)))
                .thenCompose(px -> texts.whenComplete((t, err) -> {
                    if (err != null) {
                        handle.recycle(px);
                    }
                }).thenCompose(t -> handle.embed(px, t)))
                // ranked on the finishing pool, so the inference thread goes straight to the next batch
                .thenApplyAsync(this::scored, handle.finishPool())
                .exceptionally(this::unscoredOrRethrow);
    }

    /** {@code task} on {@code pool}; a refusal to queue it fails the future. */
    private static <T> CompletableFuture<T> on(WorkPool pool, Callable<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            pool.submit(0, () -> {
                try {
                    f.complete(task.call());
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                }
            });
        } catch (RuntimeException e) {
            f.completeExceptionally(e);
        }
        return f;
    }

    private float[] preprocess(byte[] image) throws UnscorableImage {
        float[] px = handle.pixelBuffer();
        try {
            handle.model().preprocess(image, FloatBuffer.wrap(px));
            return px;
        } catch (ImageRejectedException e) {
            handle.recycle(px);
            throw new UnscorableImage(e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            handle.recycle(px);
            throw e;
        }
    }

    private Collection<RowData> scored(SharedModels.ImageResult result) {
        List<LabelScore> ranked = Scoring.rank(result.probabilities(), settings.labels(), settings.topK());
        if (settings.threshold() != null) {
            ranked = ranked.stream().filter(s -> s.score() >= settings.threshold()).toList();
        }
        GenericRowData row = new GenericRowData(settings.outputs().size());
        for (int i = 0; i < settings.outputs().size(); i++) {
            row.setField(i, switch (settings.outputs().get(i)) {
                case LABELS -> new GenericArrayData(ranked.stream().map(s -> StringData.fromString(s.label())).toArray());
                case SCORES -> {
                    float[] scores = new float[ranked.size()];
                    for (int s = 0; s < scores.length; s++) {
                        scores[s] = ranked.get(s).score();
                    }
                    yield new GenericArrayData(scores);
                }
                case EMBEDDING -> new GenericArrayData(result.embedding());
                case ERROR -> null;
            });
        }
        scored.inc();
        return List.of(row);
    }

    private Collection<RowData> unscoredOrRethrow(Throwable t) {
        Throwable cause = t;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof UnscorableImage u) {
            return List.of(unscored(u.getMessage()));
        }
        throw t instanceof CompletionException c ? c : new CompletionException(t);
    }

    /** NULL outputs, and the reason in the error column when the model declares one. */
    private RowData unscored(String reason) {
        failed.inc();
        LOG.debug("Image not scored: {}", reason);
        GenericRowData row = new GenericRowData(settings.outputs().size());
        int error = settings.outputs().indexOf(OutputColumn.ERROR);
        if (error >= 0) {
            row.setField(error, StringData.fromString(reason));
        }
        return row;
    }

    @Override
    public void close() {
        handle.close();
    }

    /** The image's own fault (undecodable, too large): its row gets NULL outputs, the query goes on. */
    private static final class UnscorableImage extends Exception {
        private static final long serialVersionUID = 1L;

        UnscorableImage(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
