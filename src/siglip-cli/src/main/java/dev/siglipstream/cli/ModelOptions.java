package dev.siglipstream.cli;

import dev.siglipstream.siglip.image.ImageDecoder;
import dev.siglipstream.siglip.onnx.ExecutionProvider;
import dev.siglipstream.siglip.onnx.ModelVariant;
import dev.siglipstream.siglip.onnx.OnnxOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** The options every model-running command shares: which model, where it runs, and how. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "M",
            description = "Model folder in the Hugging Face layout, or a Hub repo id (e.g. Xenova/siglip-base-patch16-224).")
    String model;

    @Option(names = "--revision", defaultValue = "main", description = "Hub revision (branch, tag or commit) for a repo id. Default: ${DEFAULT-VALUE}.")
    String revision;

    @Option(names = "--provider", defaultValue = "cpu", description = "Execution provider: cpu, cuda or tensorrt. Default: ${DEFAULT-VALUE}.")
    String provider;

    @Option(names = "--device", defaultValue = "0", description = "GPU index for cuda/tensorrt. Default: ${DEFAULT-VALUE}.")
    int device;

    @Option(names = "--allow-cpu-fallback", description = "Run on CPU (with a warning) when the GPU provider cannot load.")
    boolean allowCpuFallback;

    @Option(names = "--variant", defaultValue = "fp32", description = "Weights to load: fp32, fp16 or quantized. Default: ${DEFAULT-VALUE}.")
    String variant;

    @Option(names = "--threads", defaultValue = "0", description = "ONNX Runtime intra-op threads; 0 = one per core. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--spin-wait", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Let ONNX Runtime's idle intra-op threads spin for work (its own default). Off, as in the "
                    + "streaming job: spinning threads take the cores from everything else. Default: ${DEFAULT-VALUE}.")
    boolean spinWait;

    @Option(names = "--opt-level", defaultValue = "all", description = "Graph optimisation: disabled, basic, extended or all. Default: ${DEFAULT-VALUE}.")
    String optLevel;

    @Option(names = "--logit-scale", description = "exp(logit_scale), the cosine multiplier (e.g. 117.33), for split exports without onnx/model.onnx.")
    Float logitScale;

    @Option(names = "--logit-bias", description = "The logit bias (e.g. -12.93), with --logit-scale.")
    Float logitBias;

    @Option(names = "--max-pixels", description = "Reject images with more pixels than this (decompression bombs). Default: "
            + ImageDecoder.DEFAULT_MAX_PIXELS + ".")
    Long maxPixels;

    OnnxOptions onnxOptions() {
        return OnnxOptions.builder()
                .provider(ExecutionProvider.parse(provider))
                .deviceId(device)
                .allowCpuFallback(allowCpuFallback)
                .variant(ModelVariant.parse(variant))
                .intraOpThreads(threads)
                .spinWait(spinWait)
                .optimizationLevel(OnnxOptions.OptimizationLevel.valueOf(optLevel.trim().toUpperCase(java.util.Locale.ROOT)))
                .logitScale(logitScale)
                .logitBias(logitBias)
                .build();
    }

    long maxPixels() {
        return maxPixels != null ? maxPixels : ImageDecoder.DEFAULT_MAX_PIXELS;
    }

    /** The local model folder: {@code --model} itself, or the Hub snapshot it names (downloaded if needed). */
    Path folder() {
        return ModelLocation.resolve(model, revision, ModelVariant.parse(variant));
    }
}
