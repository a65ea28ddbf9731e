package dev.siglipstream.flink.sql;

import static org.apache.flink.configuration.ConfigOptions.key;

import dev.siglipstream.siglip.image.DecodeMode;
import dev.siglipstream.siglip.pipeline.ZeroShotImageClassifier;
import java.time.Duration;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;

/**
 * The options of a SigLIP model in Flink SQL, given in {@code CREATE MODEL ... WITH (...)}.
 *
 * <pre>{@code
 * CREATE MODEL tagger
 * INPUT (image BYTES)
 * OUTPUT (labels ARRAY<STRING>, scores ARRAY<FLOAT>)
 * WITH ('provider' = 'siglip', 'model' = 'Xenova/siglip-base-patch16-224', 'labels' = 'cat,dog');
 * }</pre>
 *
 * <p>{@code 'provider'} is Flink's own key (it picks {@link SiglipModelProviderFactory}); where ONNX Runtime
 * runs the model is {@link #EXECUTION_PROVIDER}.
 */
@PublicEvolving
public final class SiglipModelOptions {
    private SiglipModelOptions() {}

    public static final ConfigOption<String> MODEL = key("model")
            .stringType().noDefaultValue()
            .withDescription("Model folder (Hugging Face layout: config.json, the tokenizer, onnx/) or Hugging Face Hub "
                    + "repo id, e.g. Xenova/siglip-base-patch16-224 (downloaded once into the task manager's Hugging Face "
                    + "cache; HF_HOME, HF_ENDPOINT and HF_TOKEN are honoured).");
    public static final ConfigOption<String> LABELS = key("labels")
            .stringType().noDefaultValue()
            .withDescription("The candidate labels, comma-separated (e.g. 'cat,dog,remote control'); each one is "
                    + "scored on its own (SigLIP's sigmoid, not a softmax across labels).");
    public static final ConfigOption<String> TEMPLATE = key("template")
            .stringType().defaultValue(ZeroShotImageClassifier.DEFAULT_TEMPLATE)
            .withDescription("Hypothesis template with one {} that each label fills, as in transformers' zero-shot "
                    + "pipeline ({{ and }} for literal braces).");
    public static final ConfigOption<Integer> TOP_K = key("top-k")
            .intType().noDefaultValue()
            .withDescription("Keep the k best labels of each image. Default: all labels, best first.");
    public static final ConfigOption<Float> THRESHOLD = key("threshold")
            .floatType().noDefaultValue()
            .withDescription("Keep only labels scoring at least this (0 to 1). Default: no threshold.");
    public static final ConfigOption<Integer> MAX_BATCH_SIZE = key("max-batch-size")
            .intType().defaultValue(32)
            .withDescription("A batch goes to the model when it has this many images ...");
    public static final ConfigOption<Duration> MAX_BATCH_DELAY = key("max-batch-delay")
            .durationType().defaultValue(Duration.ofMillis(10))
            .withDescription("... or when its first image has waited this long. Images of every parallel instance "
                    + "of every query with the same model settings in a task manager share one session and one batcher.");
    public static final ConfigOption<String> EXECUTION_PROVIDER = key("execution-provider")
            .stringType().defaultValue("cpu")
            .withDescription("Where ONNX Runtime runs the model: cpu, cuda or tensorrt. GPU providers take the device "
                    + "from Flink's external resource 'gpu' (one per parallel instance), else device-id.");
    public static final ConfigOption<Integer> DEVICE_ID = key("device-id")
            .intType().defaultValue(0)
            .withDescription("GPU index when no 'gpu' external resource is configured; ignored on cpu.");
    public static final ConfigOption<Boolean> ALLOW_CPU_FALLBACK = key("allow-cpu-fallback")
            .booleanType().defaultValue(false)
            .withDescription("Run on the CPU when the GPU provider cannot be loaded, instead of failing.");
    public static final ConfigOption<String> VARIANT = key("variant")
            .stringType().defaultValue("fp32")
            .withDescription("Weight variant: fp32, fp16 or quantized.");
    public static final ConfigOption<Integer> INTRA_OP_THREADS = key("intra-op-threads")
            .intType().defaultValue(0)
            .withDescription("ONNX Runtime intra-op threads of the session; 0 lets ONNX Runtime choose.");
    public static final ConfigOption<Integer> PREPROCESS_THREADS = key("preprocess-threads")
            .intType().defaultValue(0)
            .withDescription("Threads of the task manager's pool that decodes and resizes images; 0: half its cores.");
    public static final ConfigOption<Long> MAX_IMAGE_PIXELS = key("max-image-pixels")
            .longType().defaultValue(40_000_000L)
            .withDescription("Images with more pixels (width x height, read from the header) are not decoded: "
                    + "their outputs are NULL and the 'error' column says why.");
    public static final ConfigOption<DecodeMode> IMAGE_DECODE = key("image-decode")
            .enumType(DecodeMode.class).defaultValue(DecodeMode.EXACT)
            .withDescription("exact: every image decoded at full size, pixels identical to transformers + Pillow; "
                    + "fast: large baseline JPEGs decoded at 1/4 or 1/8 scale in the DCT domain first.");

    public static final ConfigOption<String> URI_ALLOWLIST = key("uri-allowlist")
            .stringType().noDefaultValue()
            .withDescription("For a model whose INPUT is a STRING column of image URIs: where images may be fetched "
                    + "from, comma-separated (https://images.example.com, https://*.example.com, http://host:8080/images/, "
                    + "file:///data/images). Required with a URI input; loopback, private and cloud-metadata addresses "
                    + "are refused unless fetch-allow-private-addresses is on.");
    public static final ConfigOption<Long> FETCH_MAX_BYTES = key("fetch-max-bytes")
            .longType().defaultValue(20L * 1024 * 1024)
            .withDescription("Largest image fetched by URI, in bytes (counted while reading).");
    public static final ConfigOption<Duration> FETCH_TIMEOUT = key("fetch-timeout")
            .durationType().defaultValue(Duration.ofSeconds(30))
            .withDescription("Longest time for one fetch, redirects included.");
    public static final ConfigOption<Boolean> FETCH_ALLOW_PRIVATE_ADDRESSES = key("fetch-allow-private-addresses")
            .booleanType().defaultValue(false)
            .withDescription("Also fetch from loopback, private, link-local and cloud-metadata addresses on the "
                    + "allowlist (tests and trusted networks only).");
    public static final ConfigOption<Integer> FETCH_THREADS = key("fetch-threads")
            .intType().defaultValue(8)
            .withDescription("Threads of the task manager's pool that fetches images by URI (blocking I/O, apart from "
                    + "decoding).");
}
