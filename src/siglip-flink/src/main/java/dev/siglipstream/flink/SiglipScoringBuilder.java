package dev.siglipstream.flink;

import dev.siglipstream.siglip.image.DecodeMode;
import dev.siglipstream.stream.fetch.FetchPolicy;
import dev.siglipstream.stream.model.ModelLoader;
import dev.siglipstream.stream.model.ModelSpec;
import dev.siglipstream.stream.model.SiglipModelLoader;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.annotation.Internal;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Builds a {@link SiglipScoring}. Required: the model ({@link #model}), where each element's image is
 * ({@link #imageBytes} and/or {@link #imageUri}), and its label set ({@link #labelSets} with
 * {@link #labelSetId} or {@link #defaultLabelSet}, or {@link #labelSet} per element). Everything else has
 * a default; {@link #build()} checks the combination once.
 *
 * @param <T> the input element type
 */
@PublicEvolving
public final class SiglipScoringBuilder<T> {
    /** Defaults, the same as the siglip-stream job's. */
    public static final int DEFAULT_MAX_BATCH_SIZE = 32;
    public static final Duration DEFAULT_MAX_BATCH_DELAY = Duration.ofMillis(10);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_CAPACITY = 128;
    public static final float DEFAULT_THRESHOLD = 0.5f;
    public static final long DEFAULT_MAX_IMAGE_PIXELS = 40_000_000L;
    public static final int DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024;
    public static final long DEFAULT_PIXEL_BUDGET = 25_000_000L;

    private String model;
    private String provider = "cpu";
    private String variant = "fp32";
    private int intraOpThreads;
    private int preprocessThreads;
    private int fetchThreads = 8;
    private int maxBatchSize = DEFAULT_MAX_BATCH_SIZE;
    private Duration maxBatchDelay = DEFAULT_MAX_BATCH_DELAY;
    private ModelSpec spec;
    private ModelLoader loader;
    private final Map<String, CandidateLabels> labelSets = new HashMap<>();
    private String defaultLabelSet;
    private SerializableFunction<T, String> labelSetId;
    private SerializableFunction<T, CandidateLabels> labelSet;
    private SerializableFunction<T, byte[]> imageBytes;
    private SerializableFunction<T, String> imageUri;
    private ImageSource imageSource;
    private SerializableFunction<T, String> elementId;
    private float threshold = DEFAULT_THRESHOLD;
    private boolean emitEmbedding;
    private long maxImagePixels = DEFAULT_MAX_IMAGE_PIXELS;
    private int maxImageBytes = DEFAULT_MAX_IMAGE_BYTES;
    private long pixelBudget = DEFAULT_PIXEL_BUDGET;
    private Duration timeout = DEFAULT_TIMEOUT;
    private int capacity = DEFAULT_CAPACITY;
    private boolean ordered;
    private int retries;
    private Duration retryDelay = Duration.ofMillis(100);
    private final List<Class<? extends Throwable>> failTaskOn = new ArrayList<>();

    SiglipScoringBuilder() {}

    // ---- required

    /** Required: the model, a folder in the Hugging Face layout (ONNX files) or a Hub repo id. */
    public SiglipScoringBuilder<T> model(String modelFolderOrRepoId) {
        this.model = Objects.requireNonNull(modelFolderOrRepoId, "model");
        return this;
    }

    /** Required unless {@link #imageUri} is set: the element's encoded image (JPEG, PNG, ...); null when it has none. */
    public SiglipScoringBuilder<T> imageBytes(SerializableFunction<T, byte[]> imageBytes) {
        this.imageBytes = Objects.requireNonNull(imageBytes, "imageBytes");
        return this;
    }

    /**
     * Required unless {@link #imageBytes} is set: the element's image URI, fetched by {@link #imageSource}; null
     * when it has none (then {@link #imageBytes} is used).
     */
    public SiglipScoringBuilder<T> imageUri(SerializableFunction<T, String> imageUri) {
        this.imageUri = Objects.requireNonNull(imageUri, "imageUri");
        return this;
    }

    /** The label sets elements choose from by {@link #labelSetId} (or the {@link #defaultLabelSet}). */
    public SiglipScoringBuilder<T> labelSets(List<CandidateLabels> sets) {
        for (CandidateLabels set : sets) {
            if (labelSets.put(set.id(), set) != null) {
                throw new IllegalArgumentException("label set '" + set.id() + "' given twice");
            }
        }
        return this;
    }

    /** As {@link #labelSets(List)}. */
    public SiglipScoringBuilder<T> labelSets(CandidateLabels... sets) {
        return labelSets(List.of(sets));
    }

    // ---- label set choice (optional with one static set)

    /** The id of the element's label set among {@link #labelSets}; null (or not set) means the default set. */
    public SiglipScoringBuilder<T> labelSetId(SerializableFunction<T, String> labelSetId) {
        this.labelSetId = Objects.requireNonNull(labelSetId, "labelSetId");
        return this;
    }

    /** The set for elements that name none; defaults to the only set when there is one. */
    public SiglipScoringBuilder<T> defaultLabelSet(String id) {
        this.defaultLabelSet = Objects.requireNonNull(id, "id");
        return this;
    }

    /** Instead of {@link #labelSets}: each element's own label set (e.g. resolved upstream). */
    public SiglipScoringBuilder<T> labelSet(SerializableFunction<T, CandidateLabels> labelSet) {
        this.labelSet = Objects.requireNonNull(labelSet, "labelSet");
        return this;
    }

    // ---- optional

    /** Images per batch at most (default {@value #DEFAULT_MAX_BATCH_SIZE}). */
    public SiglipScoringBuilder<T> maxBatchSize(int size) {
        this.maxBatchSize = size;
        return this;
    }

    /** How long a batch waits to fill up after its first image (default 10 ms). */
    public SiglipScoringBuilder<T> maxBatchDelay(Duration delay) {
        this.maxBatchDelay = Objects.requireNonNull(delay, "delay");
        return this;
    }

    /** Flink's async timeout per record, retries included (default 60 s); a record over it is a TIMEOUT failure. */
    public SiglipScoringBuilder<T> timeout(Duration timeout) {
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        return this;
    }

    /** Records in flight per subtask (default {@value #DEFAULT_CAPACITY}). */
    public SiglipScoringBuilder<T> capacity(int capacity) {
        this.capacity = capacity;
        return this;
    }

    /** Emit results in input order (default: as they complete). */
    public SiglipScoringBuilder<T> ordered(boolean ordered) {
        this.ordered = ordered;
        return this;
    }

    /** Retry INFERENCE_FAILED records up to {@code retries} times, {@code delay} apart (default: no retries). */
    public SiglipScoringBuilder<T> retries(int retries, Duration delay) {
        this.retries = retries;
        this.retryDelay = Objects.requireNonNull(delay, "delay");
        return this;
    }

    /** cpu (default), cuda or tensorrt; on a GPU each subtask takes the GPU Flink's {@code gpu} external resource gives it. */
    public SiglipScoringBuilder<T> provider(String provider) {
        this.provider = Objects.requireNonNull(provider, "provider");
        return this;
    }

    /** fp32 (default), fp16 or quantized. */
    public SiglipScoringBuilder<T> variant(String variant) {
        this.variant = Objects.requireNonNull(variant, "variant");
        return this;
    }

    /** ONNX Runtime intra-op threads; 0 (default) lets it choose. */
    public SiglipScoringBuilder<T> intraOpThreads(int threads) {
        this.intraOpThreads = threads;
        return this;
    }

    /** Threads of the per-JVM preprocessing pool; 0 (default) means half the cores. */
    public SiglipScoringBuilder<T> preprocessThreads(int threads) {
        this.preprocessThreads = threads;
        return this;
    }

    /** Score at or above which a label is matched, for sets without their own threshold (default 0.5). */
    public SiglipScoringBuilder<T> threshold(float threshold) {
        this.threshold = threshold;
        return this;
    }

    /** Put each image's embedding into its {@link ScoredImage} (default off). */
    public SiglipScoringBuilder<T> emitEmbedding(boolean emit) {
        this.emitEmbedding = emit;
        return this;
    }

    /** Decoded pixels above which an image is IMAGE_TOO_LARGE, from its header (default 40 MP). */
    public SiglipScoringBuilder<T> maxImagePixels(long pixels) {
        this.maxImagePixels = pixels;
        return this;
    }

    /** Encoded bytes above which an image is IMAGE_TOO_LARGE (default 20 MiB). */
    public SiglipScoringBuilder<T> maxImageBytes(int bytes) {
        this.maxImageBytes = bytes;
        return this;
    }

    /** Decoded pixels above which an image is IMAGE_OVER_BUDGET, before decoding (default 25 MP). */
    public SiglipScoringBuilder<T> pixelBudget(long pixels) {
        this.pixelBudget = pixels;
        return this;
    }

    /** How URIs are fetched (default: nothing is fetched; see {@link #fetchPolicy}). */
    public SiglipScoringBuilder<T> imageSource(ImageSource source) {
        this.imageSource = Objects.requireNonNull(source, "source");
        return this;
    }

    /** Fetch URIs with the project's fetcher under {@code policy} (allowlist, size and time limits). */
    public SiglipScoringBuilder<T> fetchPolicy(FetchPolicy policy) {
        return imageSource(ImageSource.fetching(policy));
    }

    /** An id for log messages about an element (default: none). */
    public SiglipScoringBuilder<T> elementId(SerializableFunction<T, String> elementId) {
        this.elementId = Objects.requireNonNull(elementId, "elementId");
        return this;
    }

    /**
     * Exceptions (from the extractors) that fail the task instead of the record, e.g. a service that is
     * down: Flink restarts from the last checkpoint and the record is tried again.
     */
    public SiglipScoringBuilder<T> failTaskOn(Class<? extends Throwable> type) {
        failTaskOn.add(Objects.requireNonNull(type, "type"));
        return this;
    }

    /** Every model setting at once (instead of {@link #model} and the model setters), with the loader to open it. */
    @Internal
    public SiglipScoringBuilder<T> modelSpec(ModelSpec spec, ModelLoader loader) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.loader = Objects.requireNonNull(loader, "loader");
        return this;
    }

    /** Opens the model with {@code loader} (tests inject a fake model). */
    @Internal
    public SiglipScoringBuilder<T> modelLoader(ModelLoader loader) {
        this.loader = Objects.requireNonNull(loader, "loader");
        return this;
    }

    /** Checks the settings together and builds the scoring. */
    public SiglipScoring<T> build() {
        sanityCheck();
        ModelSpec s = spec != null ? spec : new ModelSpec(model, provider, -1, variant, intraOpThreads, false, null, false,
                maxBatchSize, maxBatchDelay.toMillis(), false, 1, false, preprocessThreads, null, fetchThreads);
        ModelLoader l = loader != null ? loader : new SiglipModelLoader(maxImagePixels, DecodeMode.EXACT);
        String def = defaultLabelSet;
        if (def == null && labelSets.size() == 1) {
            def = labelSets.keySet().iterator().next();
        }
        Settings<T> settings = new Settings<>(s, l, new HashMap<>(labelSets), def, labelSet, labelSetId, imageBytes, imageUri,
                imageSource != null ? imageSource : ImageSource.fetching(FetchPolicy.builder().build()), elementId,
                threshold, emitEmbedding, maxImagePixels, maxImageBytes, pixelBudget, new ArrayList<>(failTaskOn));
        return new SiglipScoring<>(settings, timeout, capacity, ordered, retries, retryDelay);
    }

    private void sanityCheck() {
        if (spec == null && (model == null || model.isBlank())) {
            throw new IllegalArgumentException("no model: call model(folder or Hub repo id)");
        }
        if (imageBytes == null && imageUri == null) {
            throw new IllegalArgumentException("no image: call imageBytes(...) and/or imageUri(...)");
        }
        if (labelSet == null && labelSets.isEmpty()) {
            throw new IllegalArgumentException("no label sets: call labelSets(...) or labelSet(per element)");
        }
        if (labelSet != null && (!labelSets.isEmpty() || labelSetId != null || defaultLabelSet != null)) {
            throw new IllegalArgumentException("labelSet(per element) replaces labelSets, labelSetId and defaultLabelSet: "
                    + "use one or the other");
        }
        for (CandidateLabels set : labelSets.values()) {
            if (set.labels().isEmpty()) {
                throw new IllegalArgumentException("label set '" + set.id() + "' has no labels");
            }
        }
        if (defaultLabelSet != null && !labelSets.containsKey(defaultLabelSet)) {
            throw new IllegalArgumentException("default label set '" + defaultLabelSet + "' is not among the label sets "
                    + labelSets.keySet());
        }
        if (labelSets.size() > 1 && labelSetId == null && defaultLabelSet == null) {
            throw new IllegalArgumentException(labelSets.size() + " label sets and no way to choose: call labelSetId(...) "
                    + "and/or defaultLabelSet(...)");
        }
        atLeast("maxBatchSize", maxBatchSize, 1);
        atLeast("capacity", capacity, 1);
        atLeast("retries", retries, 0);
        atLeast("intraOpThreads", intraOpThreads, 0);
        atLeast("preprocessThreads", preprocessThreads, 0);
        atLeast("maxImageBytes", maxImageBytes, 1);
        if (maxBatchDelay.isNegative() || (timeout.isZero() || timeout.isNegative()) || retryDelay.isNegative()) {
            throw new IllegalArgumentException("maxBatchDelay and retry delay must be >= 0 and timeout > 0, got "
                    + maxBatchDelay + ", " + retryDelay + " and " + timeout);
        }
        if (maxImagePixels < 1 || pixelBudget < 1) {
            throw new IllegalArgumentException("maxImagePixels and pixelBudget must be >= 1, got " + maxImagePixels + " and " + pixelBudget);
        }
    }

    private static void atLeast(String name, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be >= " + min + ", got " + value);
        }
    }

    /** Everything the scoring function needs, as built. */
    record Settings<T>(
            ModelSpec spec,
            ModelLoader loader,
            HashMap<String, CandidateLabels> labelSets,
            String defaultLabelSet,
            SerializableFunction<T, CandidateLabels> labelSet,
            SerializableFunction<T, String> labelSetId,
            SerializableFunction<T, byte[]> imageBytes,
            SerializableFunction<T, String> imageUri,
            ImageSource imageSource,
            SerializableFunction<T, String> elementId,
            float defaultThreshold,
            boolean emitEmbedding,
            long maxImagePixels,
            int maxImageBytes,
            long pixelBudget,
            ArrayList<Class<? extends Throwable>> failTaskOn) implements Serializable {

        /** The same scoring over elements whose label set was chosen upstream ({@link LiveLabelSets}). */
        Settings<Labelled<T>> labelled() {
            return new Settings<>(spec, loader, new HashMap<>(), null, Labelled::labelsOrFail, null, Labelled.on(imageBytes),
                    Labelled.on(imageUri), imageSource, Labelled.on(elementId), defaultThreshold, emitEmbedding, maxImagePixels,
                    maxImageBytes, pixelBudget, failTaskOn);
        }

        boolean failsTask(Throwable t) {
            for (Class<? extends Throwable> type : failTaskOn) {
                if (type.isInstance(t)) {
                    return true;
                }
            }
            return false;
        }
    }
}
