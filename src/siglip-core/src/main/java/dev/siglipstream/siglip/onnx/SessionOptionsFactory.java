package dev.siglipstream.siglip.onnx;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import ai.onnxruntime.providers.OrtTensorRTProviderOptions;
import java.util.EnumSet;

/** Turns {@link OnnxOptions} into ONNX Runtime session options, adding the GPU provider asked for. */
final class SessionOptionsFactory {
    private SessionOptionsFactory() {}

    /**
     * Creates session options; the caller owns (closes) them. A GPU provider that this ONNX Runtime
     * build or machine cannot load is an {@link OnnxModelException} naming what is missing.
     */
    static OrtSession.SessionOptions create(OnnxOptions options) throws OrtException {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        try {
            so.setOptimizationLevel(switch (effectiveLevel(options)) {
                case DISABLED -> OrtSession.SessionOptions.OptLevel.NO_OPT;
                case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
                case EXTENDED -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
                case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
            });
            if (options.intraOpThreads() > 0) so.setIntraOpNumThreads(options.intraOpThreads());
            if (options.interOpThreads() > 0) so.setInterOpNumThreads(options.interOpThreads());
            if (!options.spinWait()) so.addConfigEntry("session.intra_op.allow_spinning", "0");
            switch (options.provider()) {
                case CPU -> { }
                case CUDA -> addCuda(so, options);
                case TENSORRT -> {
                    addTensorRt(so, options);
                    addCuda(so, options); // TensorRT hands unsupported nodes to CUDA
                }
            }
            return so;
        } catch (OrtException | RuntimeException e) {
            so.close();
            throw e;
        }
    }

    /**
     * The level actually used: ONNX Runtime 1.24.1 on CPU cannot build fp16 graphs at ALL (its
     * layout-level fusions reference casts it inserted itself and fail with "Attempting to get index by
     * a name which does not exist: InsertedPrecisionFreeCast_..."), so fp16 on CPU stops at EXTENDED.
     */
    static OnnxOptions.OptimizationLevel effectiveLevel(OnnxOptions options) {
        if (options.variant() == ModelVariant.FP16 && options.provider() == ExecutionProvider.CPU
                && options.optimizationLevel() == OnnxOptions.OptimizationLevel.ALL) {
            return OnnxOptions.OptimizationLevel.EXTENDED;
        }
        return options.optimizationLevel();
    }

    /** The ONNX Runtime providers compiled into the library on the class path. */
    static EnumSet<OrtProvider> availableProviders() {
        return ai.onnxruntime.OrtEnvironment.getAvailableProviders();
    }

    private static void addCuda(OrtSession.SessionOptions so, OnnxOptions options) throws OrtException {
        requireBuildHas(OrtProvider.CUDA, "cuda");
        try (OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions(options.deviceId())) {
            if (options.cudaMemoryLimitBytes() > 0) cuda.add("gpu_mem_limit", Long.toString(options.cudaMemoryLimitBytes()));
            cuda.add("arena_extend_strategy", switch (options.arenaStrategy()) {
                case NEXT_POWER_OF_TWO -> "kNextPowerOfTwo";
                case SAME_AS_REQUESTED -> "kSameAsRequested";
            });
            cuda.add("cudnn_conv_algo_search", options.cudnnConvAlgoSearch().name());
            so.addCUDA(cuda);
        } catch (OrtException e) {
            throw new OnnxModelException("the CUDA execution provider could not be loaded on device "
                    + options.deviceId() + " (needs an NVIDIA GPU, its driver, and the CUDA 12 / cuDNN 9 runtime "
                    + "libraries on the library path): " + e.getMessage(), e);
        }
    }

    private static void addTensorRt(OrtSession.SessionOptions so, OnnxOptions options) throws OrtException {
        requireBuildHas(OrtProvider.TENSOR_RT, "tensorrt");
        try (OrtTensorRTProviderOptions trt = new OrtTensorRTProviderOptions(options.deviceId())) {
            trt.add("trt_fp16_enable", options.tensorRtFp16() ? "1" : "0");
            if (options.tensorRtEngineCache() != null) {
                trt.add("trt_engine_cache_enable", "1");
                trt.add("trt_engine_cache_path", options.tensorRtEngineCache().toString());
            }
            so.addTensorrt(trt);
        } catch (OrtException e) {
            throw new OnnxModelException("the TensorRT execution provider could not be loaded on device "
                    + options.deviceId() + " (needs the TensorRT 10 libraries on the library path besides CUDA): "
                    + e.getMessage(), e);
        }
    }

    private static void requireBuildHas(OrtProvider provider, String name) {
        if (!availableProviders().contains(provider)) {
            throw new OnnxModelException("execution provider '" + name + "' was asked for but this ONNX Runtime "
                    + "build only has " + availableProviders() + "; use the com.microsoft.onnxruntime:onnxruntime_gpu "
                    + "artifact (e.g. in the task managers' lib/) and a machine with a GPU");
        }
    }
}
