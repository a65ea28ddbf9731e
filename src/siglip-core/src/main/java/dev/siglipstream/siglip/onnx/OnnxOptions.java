package dev.siglipstream.siglip.onnx;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How ONNX Runtime sessions are created: execution provider and device, threads, graph
 * optimisation, which weight variant to load, and — for split exports that carry no scale and bias
 * when the combined graph is absent — the logit scale and bias.
 *
 * <pre>{@code
 * OnnxOptions options = OnnxOptions.builder()
 *         .provider(ExecutionProvider.CUDA).deviceId(0)
 *         .variant(ModelVariant.FP16)
 *         .build();
 * }</pre>
 *
 * @param provider where the graphs run
 * @param deviceId GPU index for CUDA/TensorRT (ignored on CPU)
 * @param intraOpThreads threads inside one operator; 0 lets ONNX Runtime choose (one per core)
 * @param interOpThreads threads across operators; 0 lets ONNX Runtime choose
 * @param spinWait whether idle intra-op threads spin for the next parallel section (ONNX Runtime's
 *     default). Spinning shaves a little latency off a session that has the cores to itself; where
 *     other busy threads share the cores (a streaming job's preprocessing, Kafka and Flink threads)
 *     the spinning threads take their CPU time, so turn it off there
 * @param optimizationLevel graph optimisation level
 * @param variant which weight files to load (fp32, fp16, quantized)
 * @param cudaMemoryLimitBytes CUDA arena limit in bytes; 0 = no limit
 * @param arenaStrategy how the CUDA arena grows
 * @param cudnnConvAlgoSearch cuDNN convolution algorithm search
 * @param tensorRtFp16 let TensorRT run in fp16
 * @param tensorRtEngineCache folder for TensorRT engine caches; null disables the cache
 * @param allowCpuFallback when a GPU provider cannot load, log a warning and run on CPU instead of failing
 * @param logitScale exp(logit_scale), the multiplier of cosine similarity (e.g. 117.33); null = read it
 *     off the combined graph
 * @param logitBias the logit bias (e.g. -12.93); null = read it off the combined graph
 */
public record OnnxOptions(
        ExecutionProvider provider,
        int deviceId,
        int intraOpThreads,
        int interOpThreads,
        boolean spinWait,
        OptimizationLevel optimizationLevel,
        ModelVariant variant,
        long cudaMemoryLimitBytes,
        ArenaStrategy arenaStrategy,
        CudnnConvAlgoSearch cudnnConvAlgoSearch,
        boolean tensorRtFp16,
        Path tensorRtEngineCache,
        boolean allowCpuFallback,
        Float logitScale,
        Float logitBias) {

    /** Graph optimisation levels, as ONNX Runtime names them. */
    public enum OptimizationLevel { DISABLED, BASIC, EXTENDED, ALL }

    /** How the CUDA memory arena grows. */
    public enum ArenaStrategy { NEXT_POWER_OF_TWO, SAME_AS_REQUESTED }

    /** cuDNN convolution algorithm search. */
    public enum CudnnConvAlgoSearch { EXHAUSTIVE, HEURISTIC, DEFAULT }

    public OnnxOptions {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(optimizationLevel, "optimizationLevel");
        Objects.requireNonNull(variant, "variant");
        Objects.requireNonNull(arenaStrategy, "arenaStrategy");
        Objects.requireNonNull(cudnnConvAlgoSearch, "cudnnConvAlgoSearch");
    }

    /** CPU, all optimisations, fp32, ONNX Runtime's thread defaults. */
    public static OnnxOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.provider = provider;
        b.deviceId = deviceId;
        b.intraOpThreads = intraOpThreads;
        b.interOpThreads = interOpThreads;
        b.spinWait = spinWait;
        b.optimizationLevel = optimizationLevel;
        b.variant = variant;
        b.cudaMemoryLimitBytes = cudaMemoryLimitBytes;
        b.arenaStrategy = arenaStrategy;
        b.cudnnConvAlgoSearch = cudnnConvAlgoSearch;
        b.tensorRtFp16 = tensorRtFp16;
        b.tensorRtEngineCache = tensorRtEngineCache;
        b.allowCpuFallback = allowCpuFallback;
        b.logitScale = logitScale;
        b.logitBias = logitBias;
        return b;
    }

    /** Builds {@link OnnxOptions}; every setting is optional and validated in {@link #build()}. */
    public static final class Builder {
        private ExecutionProvider provider = ExecutionProvider.CPU;
        private int deviceId;
        private int intraOpThreads;
        private int interOpThreads;
        private boolean spinWait = true;
        private OptimizationLevel optimizationLevel = OptimizationLevel.ALL;
        private ModelVariant variant = ModelVariant.FP32;
        private long cudaMemoryLimitBytes;
        private ArenaStrategy arenaStrategy = ArenaStrategy.NEXT_POWER_OF_TWO;
        private CudnnConvAlgoSearch cudnnConvAlgoSearch = CudnnConvAlgoSearch.EXHAUSTIVE;
        private boolean tensorRtFp16;
        private Path tensorRtEngineCache;
        private boolean allowCpuFallback;
        private Float logitScale;
        private Float logitBias;

        private Builder() {}

        public Builder provider(ExecutionProvider provider) { this.provider = provider; return this; }
        public Builder deviceId(int deviceId) { this.deviceId = deviceId; return this; }
        public Builder intraOpThreads(int threads) { this.intraOpThreads = threads; return this; }
        public Builder interOpThreads(int threads) { this.interOpThreads = threads; return this; }
        public Builder spinWait(boolean spin) { this.spinWait = spin; return this; }
        public Builder optimizationLevel(OptimizationLevel level) { this.optimizationLevel = level; return this; }
        public Builder variant(ModelVariant variant) { this.variant = variant; return this; }
        public Builder cudaMemoryLimitBytes(long bytes) { this.cudaMemoryLimitBytes = bytes; return this; }
        public Builder arenaStrategy(ArenaStrategy strategy) { this.arenaStrategy = strategy; return this; }
        public Builder cudnnConvAlgoSearch(CudnnConvAlgoSearch search) { this.cudnnConvAlgoSearch = search; return this; }
        public Builder tensorRtFp16(boolean fp16) { this.tensorRtFp16 = fp16; return this; }
        public Builder tensorRtEngineCache(Path folder) { this.tensorRtEngineCache = folder; return this; }
        public Builder allowCpuFallback(boolean allow) { this.allowCpuFallback = allow; return this; }
        public Builder logitScale(Float scale) { this.logitScale = scale; return this; }
        public Builder logitBias(Float bias) { this.logitBias = bias; return this; }

        public OnnxOptions build() {
            if (deviceId < 0) throw new IllegalArgumentException("deviceId must be >= 0, got " + deviceId);
            if (intraOpThreads < 0) throw new IllegalArgumentException("intraOpThreads must be >= 0, got " + intraOpThreads);
            if (interOpThreads < 0) throw new IllegalArgumentException("interOpThreads must be >= 0, got " + interOpThreads);
            if (cudaMemoryLimitBytes < 0) {
                throw new IllegalArgumentException("cudaMemoryLimitBytes must be >= 0, got " + cudaMemoryLimitBytes);
            }
            if ((logitScale == null) != (logitBias == null)) {
                throw new IllegalArgumentException("logitScale and logitBias must be given together");
            }
            if (logitScale != null && !(logitScale > 0f)) {
                throw new IllegalArgumentException("logitScale is exp(logit_scale) and must be > 0, got " + logitScale);
            }
            return new OnnxOptions(provider, deviceId, intraOpThreads, interOpThreads, spinWait, optimizationLevel, variant,
                    cudaMemoryLimitBytes, arenaStrategy, cudnnConvAlgoSearch, tensorRtFp16, tensorRtEngineCache,
                    allowCpuFallback, logitScale, logitBias);
        }
    }
}
