package dev.siglipstream.tools.synth;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The protobuf writer and the float16 conversion, checked against ONNX Runtime and IEEE 754 values. */
class OnnxWriterTest {

    @Test
    void writtenGraphRunsInOnnxRuntime(@TempDir Path dir) throws Exception {
        // y = (x @ W + b) * 2 with a dynamic batch axis; W = [[1, 2], [3, 4], [5, 6]], b = [0.5, 0.5]
        GraphBuilder g = new GraphBuilder(GraphBuilder.Precision.FP32, 0);
        g.push("/m");
        var w = new Onnx.Tensor("W", Onnx.FLOAT, new long[] {3, 2}, Weights.floats(1, 2, 3, 4, 5, 6));
        var graph0 = List.of(w);
        String mm = g.node("MatMul", List.of("x", "W"));
        String add = g.node("Add", List.of(mm, g.param(Weights.constant("b", 0.5, 2))));
        g.nodeTo("y", "Mul", List.of(add, g.floatScalar(2f)));
        g.pop();
        Onnx.Graph built = g.build("test",
                List.of(new Onnx.ValueInfo("x", Onnx.FLOAT, List.of("batch", 3L))),
                List.of(new Onnx.ValueInfo("y", Onnx.FLOAT, List.of("batch", 2L))));
        List<Onnx.Tensor> inits = new java.util.ArrayList<>(built.initializers());
        inits.addAll(graph0);
        Onnx.Graph graph = new Onnx.Graph(built.name(), built.nodes(), inits, built.inputs(), built.outputs());
        Path file = dir.resolve("t.onnx");
        OnnxWriter.write(graph, 14, "test", "1", file);

        assertThat(OnnxFiles.opTypes(file)).containsExactly("MatMul", "Add", "Constant", "Mul");
        try (OrtSession s = OnnxFiles.open(file);
                OnnxTensor x = OnnxFiles.floats(new float[] {1, 0, 0, 1, 1, 1}, 2, 3)) {
            float[][] y = OnnxFiles.run2d(s, Map.of("x", x), "y");
            assertThat(y[0]).containsExactly(3f, 5f);
            assertThat(y[1]).containsExactly(19f, 25f);
        }
    }

    @Test
    void float16RoundsToNearestEven() {
        assertThat(Weights.toHalf(1f)).isEqualTo((short) 0x3c00);
        assertThat(Weights.toHalf(-2f)).isEqualTo((short) 0xc000);
        assertThat(Weights.toHalf(65504f)).isEqualTo((short) 0x7bff);
        assertThat(Weights.toHalf(65520f)).isEqualTo((short) 0x7c00); // the first value that rounds to infinity
        assertThat(Weights.toHalf(0.1f)).isEqualTo((short) 0x2e66);
        assertThat(Weights.toHalf(0x1p-24f)).isEqualTo((short) 0x0001); // smallest subnormal
        assertThat(Weights.toHalf(0x1p-25f)).isEqualTo((short) 0x0000); // tie rounds to even (zero)
        assertThat(Weights.toHalf(1e-6f)).isEqualTo((short) 0x0011); // LayerNorm's eps as a subnormal
        assertThat(Weights.toHalf(1f + 0x1p-11f)).isEqualTo((short) 0x3c00); // tie rounds to even
        assertThat(Weights.toHalf(1f + 0x1p-11f + 0x1p-20f)).isEqualTo((short) 0x3c01);
        assertThat(Weights.toHalf(Float.NaN) & 0x7fff).isGreaterThan(0x7c00);
        for (float f : new float[] {0.3333f, -7.25f, 1234.5f, 3e-5f}) {
            float back = Weights.fromHalf(Weights.toHalf(f));
            assertThat(Math.abs(back - f)).isLessThanOrEqualTo(Math.abs(f) * 0x1p-11f + 0x1p-25f);
        }
    }

    @Test
    void weightsDependOnSeedAndNameOnly() {
        Weights.Spec a = Weights.xavierUniform("layer.weight", 4, 4, 1.0, 4, 4);
        Weights.Spec sameName = Weights.xavierUniform("layer.weight", 4, 4, 1.0, 4, 4);
        assertThat(a.generate(3)).containsExactly(sameName.generate(3));
        assertThat(a.generate(3)).isNotEqualTo(a.generate(4));
        assertThat(a.generate(3)).isNotEqualTo(Weights.xavierUniform("other.weight", 4, 4, 1.0, 4, 4).generate(3));
        float bound = (float) Math.sqrt(6.0 / 8);
        for (float v : a.generate(3)) assertThat(Math.abs(v)).isLessThanOrEqualTo(bound);
    }
}
