package dev.siglipstream.siglip.onnx;

import java.util.Locale;

/**
 * Which weight file of a Hub export to load: {@code onnx/vision_model.onnx},
 * {@code onnx/vision_model_fp16.onnx} or {@code onnx/vision_model_quantized.onnx} (and the same for the
 * text and combined graphs).
 */
public enum ModelVariant {
    FP32(""),
    FP16("_fp16"),
    QUANTIZED("_quantized");

    private final String suffix;

    ModelVariant(String suffix) {
        this.suffix = suffix;
    }

    /** The file-name suffix before {@code .onnx}. */
    public String suffix() {
        return suffix;
    }

    /** {@code onnx/<graph><suffix>.onnx}, e.g. {@code onnx/vision_model_fp16.onnx}. */
    public String file(String graph) {
        return "onnx/" + graph + suffix + ".onnx";
    }

    /** The graphs a model folder of this variant consists of: split vision and text towers and the combined graph. */
    public java.util.List<String> onnxFiles() {
        return java.util.List.of(file("vision_model"), file("text_model"), file("model"));
    }

    /** Parses {@code fp32}, {@code fp16}, {@code quantized} (also {@code int8}). */
    public static ModelVariant parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "fp32", "float32", "" -> FP32;
            case "fp16", "float16" -> FP16;
            case "quantized", "int8", "q8" -> QUANTIZED;
            default -> throw new IllegalArgumentException(
                    "unknown model variant '" + name + "', expected fp32, fp16 or quantized");
        };
    }
}
