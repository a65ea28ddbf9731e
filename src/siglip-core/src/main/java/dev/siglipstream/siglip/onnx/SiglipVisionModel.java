package dev.siglipstream.siglip.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * The vision tower ({@code onnx/vision_model.onnx}): {@code pixel_values [B,3,H,W]} →
 * {@code pooler_output [B,D]} (the attention-pooling head's output, not yet normalised). Owns its
 * graph; thread-safe.
 */
public final class SiglipVisionModel implements AutoCloseable {
    static final String PIXEL_VALUES = "pixel_values";
    static final String POOLER_OUTPUT = "pooler_output";

    private final OnnxGraph graph;
    private final OnnxJavaType inputType;
    private final int imageSize;

    private SiglipVisionModel(OnnxGraph graph, int imageSize) {
        this.graph = graph;
        this.imageSize = imageSize;
        this.inputType = Tensors.inputType(graph, PIXEL_VALUES);
    }

    /** Loads a split vision tower; its input and output names are checked against the graph. */
    public static SiglipVisionModel load(Path onnxFile, int imageSize, OnnxOptions options) {
        OnnxGraph graph = OnnxGraph.open(onnxFile, options);
        try {
            graph.requireInputs(PIXEL_VALUES).requireNoOtherInputs(Set.of(PIXEL_VALUES)).requireOutputs(POOLER_OUTPUT);
            return new SiglipVisionModel(graph, imageSize);
        } catch (RuntimeException e) {
            graph.close();
            throw e;
        }
    }

    /**
     * Runs {@code count} images from {@code pixelValues} (position onwards, CHW per image, direct
     * native-order buffers are used without a copy) and returns their pooler outputs.
     */
    public float[][] poolerOutput(FloatBuffer pixelValues, int count) {
        long[] shape = {count, 3, imageSize, imageSize};
        try (OnnxTensor pixels = Tensors.floats(pixelValues, shape, inputType);
                OrtSession.Result result = graph.run(Map.of(PIXEL_VALUES, pixels), Set.of(POOLER_OUTPUT))) {
            return Tensors.matrix(result, POOLER_OUTPUT);
        } catch (OrtException e) {
            throw new OnnxModelException("vision model " + graph.file() + " failed on a batch of " + count + ": "
                    + e.getMessage(), e);
        }
    }

    public int imageSize() {
        return imageSize;
    }

    /** The provider the graph actually runs on (CPU after an allowed fallback). */
    public ExecutionProvider provider() {
        return graph.provider();
    }

    public boolean fellBackToCpu() {
        return graph.fellBackToCpu();
    }

    @Override
    public void close() {
        graph.close();
    }
}
