package dev.siglipstream.siglip.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.platform.Fp16Conversions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

/** Tensor plumbing shared by the model classes: zero-copy inputs from direct buffers, 2-D float outputs. */
final class Tensors {
    private Tensors() {}

    /**
     * A float tensor over {@code values} (from its position, {@code count × per-item} floats). A direct
     * native-order buffer is handed to ONNX Runtime without a copy; a graph whose input is fp16 gets a
     * converted copy.
     */
    static OnnxTensor floats(FloatBuffer values, long[] shape, OnnxJavaType inputType) throws OrtException {
        long n = 1;
        for (long d : shape) n *= d;
        if (values.remaining() < n) {
            throw new IllegalArgumentException("tensor of shape " + java.util.Arrays.toString(shape) + " needs " + n
                    + " floats, the buffer has " + values.remaining());
        }
        FloatBuffer view = values.slice().limit((int) n);
        if (inputType == OnnxJavaType.FLOAT16) {
            ShortBuffer half = ByteBuffer.allocateDirect((int) n * 2).order(ByteOrder.nativeOrder()).asShortBuffer();
            for (int i = 0; i < n; i++) half.put(i, Fp16Conversions.floatToFp16(view.get(i)));
            return OnnxTensor.createTensor(OnnxGraph.environment(), half, shape, OnnxJavaType.FLOAT16);
        }
        if (!view.isDirect() || view.order() != ByteOrder.nativeOrder()) {
            FloatBuffer direct = ByteBuffer.allocateDirect((int) n * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
            direct.put(view).flip();
            view = direct;
        }
        return OnnxTensor.createTensor(OnnxGraph.environment(), view, shape);
    }

    /** An int64 tensor [rows, cols] from {@code ids} (all rows the same length). */
    static OnnxTensor longs(long[][] ids) throws OrtException {
        int rows = ids.length;
        int cols = rows == 0 ? 0 : ids[0].length;
        LongBuffer buf = ByteBuffer.allocateDirect(rows * cols * 8).order(ByteOrder.nativeOrder()).asLongBuffer();
        for (long[] row : ids) {
            if (row.length != cols) {
                throw new IllegalArgumentException("every row of input_ids must have " + cols + " ids, got " + row.length);
            }
            buf.put(row);
        }
        buf.flip();
        return OnnxTensor.createTensor(OnnxGraph.environment(), buf, new long[] {rows, cols});
    }

    /** The element type a graph declares for {@code input}. */
    static OnnxJavaType inputType(OnnxGraph graph, String input) {
        var info = graph.inputInfo().get(input).getInfo();
        return info instanceof TensorInfo t ? t.type : OnnxJavaType.FLOAT;
    }

    /** Copies a [rows, cols] float output (fp16 outputs are widened) into a Java matrix. */
    static float[][] matrix(OrtSession.Result result, String name) throws OrtException {
        OnnxValue value = result.get(name).orElseThrow(() -> new OnnxModelException("the graph returned no '" + name + "'"));
        if (!(value instanceof OnnxTensor tensor)) {
            throw new OnnxModelException("output '" + name + "' is not a tensor");
        }
        long[] shape = tensor.getInfo().getShape();
        if (shape.length != 2) {
            throw new OnnxModelException("output '" + name + "' has shape " + java.util.Arrays.toString(shape)
                    + ", expected [batch, dim]");
        }
        FloatBuffer data = tensor.getFloatBuffer();
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        float[][] out = new float[rows][cols];
        for (int r = 0; r < rows; r++) data.get(out[r]);
        return out;
    }
}
