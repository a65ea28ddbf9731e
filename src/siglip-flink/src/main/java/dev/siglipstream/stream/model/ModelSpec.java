package dev.siglipstream.stream.model;

import java.io.Serializable;

/**
 * Everything that decides which model session a subtask shares: the model, where it runs, and
 * the batching and preprocessing settings of that session's batcher. Equal specs share one
 * session per JVM.
 *
 * @param model model folder or Hub id
 * @param provider cpu, cuda or tensorrt
 * @param deviceId GPU index; -1 on CPU
 * @param variant fp32, fp16 or quantized
 * @param intraOpThreads ONNX Runtime intra-op threads; 0 lets it choose
 * @param spinWait whether ONNX Runtime's idle intra-op threads spin (see {@code OnnxOptions.spinWait})
 * @param inferenceNice Linux nice value of the inference thread and ONNX Runtime's threads; null leaves them alone
 * @param allowCpuFallback run on CPU when the GPU provider cannot load
 * @param maxBatchSize batch flush size
 * @param maxBatchDelayMs batch flush delay in milliseconds
 * @param dispatchWhenIdle start a batch as soon as the model is idle instead of waiting for the delay
 * @param concurrentBatches batches that run at once on the session, each on its own inference thread
 * @param bucketing pad batches to powers of two
 * @param preprocessThreads size of the per-JVM preprocessing pool; 0 for the default of the JVM that opens the
 *                          model ({@link #preprocessPoolSize()})
 * @param preprocessNice Linux nice value of the preprocessing pool's threads; null leaves them alone
 * @param fetchThreads size of the per-JVM pool that fetches images given by URI (blocking I/O, apart
 *     from the preprocessing pool so a slow server never holds up decoding)
 */
public record ModelSpec(
        String model,
        String provider,
        int deviceId,
        String variant,
        int intraOpThreads,
        boolean spinWait,
        Integer inferenceNice,
        boolean allowCpuFallback,
        int maxBatchSize,
        long maxBatchDelayMs,
        boolean dispatchWhenIdle,
        int concurrentBatches,
        boolean bucketing,
        int preprocessThreads,
        Integer preprocessNice,
        int fetchThreads) implements Serializable {

    /** Whether {@code nice} leaves the threads alone (null) or is a Linux nice value, -20 to 19. */
    public static boolean isNiceValue(Integer nice) {
        return nice == null || (nice >= -20 && nice <= 19);
    }

    /** The preprocessing pool's size: {@code preprocessThreads}, or half this JVM's cores when that is 0. */
    public int preprocessPoolSize() {
        return preprocessThreads > 0 ? preprocessThreads : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    }

    /** The same spec on another device (the subtask's GPU). */
    public ModelSpec onDevice(String provider, int deviceId) {
        return new ModelSpec(model, provider, deviceId, variant, intraOpThreads, spinWait, inferenceNice, allowCpuFallback,
                maxBatchSize, maxBatchDelayMs, dispatchWhenIdle, concurrentBatches, bucketing, preprocessThreads, preprocessNice,
                fetchThreads);
    }
}
