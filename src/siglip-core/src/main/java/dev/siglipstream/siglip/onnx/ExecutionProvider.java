package dev.siglipstream.siglip.onnx;

import java.util.Locale;

/** Where ONNX Runtime runs the graphs. CUDA and TensorRT need the {@code onnxruntime_gpu} build and a GPU. */
public enum ExecutionProvider {
    CPU,
    CUDA,
    TENSORRT;

    /** Parses {@code cpu}, {@code cuda} or {@code tensorrt} (any case). */
    public static ExecutionProvider parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown execution provider '" + name + "', expected cpu, cuda or tensorrt");
        }
    }

    public boolean isGpu() {
        return this != CPU;
    }
}
