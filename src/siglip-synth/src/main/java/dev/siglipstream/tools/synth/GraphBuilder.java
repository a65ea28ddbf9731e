package dev.siglipstream.tools.synth;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Accumulates nodes and initializers with the naming scheme of {@code torch.onnx.export}: nodes are
 * named {@code /<module path>/<Op>[_k]} and produce {@code <node name>_output_0}; parameters keep their
 * state-dict names; transposed Linear weights are {@code onnx::MatMul_<n>}. Identical constant-filled
 * parameters (zero biases, unit LayerNorm weights) are stored once and aliased with Identity nodes, as
 * the exporter's constant folding leaves them.
 */
final class GraphBuilder {
    /** How float parameters are stored and how linear layers with constant weights are computed. */
    enum Precision {
        /** float32 everywhere. */
        FP32,
        /** float16 weights and constants, float32 graph inputs and outputs (Cast nodes at the edges). */
        FP16,
        /** float32, with MatMuls by constant weights dynamically quantized as ONNX Runtime's quantize_dynamic does. */
        INT8
    }

    final Precision precision;
    private final long seed;
    private final List<Onnx.Node> identities = new ArrayList<>();
    private final List<Onnx.Node> nodes = new ArrayList<>();
    private final List<Onnx.Tensor> initializers = new ArrayList<>();
    private final Map<String, String> constantFills = new HashMap<>();
    private final Map<String, String[]> quantizedActivations = new HashMap<>();
    private final Map<String, Integer> counters = new HashMap<>();
    private final Deque<String> scopes = new ArrayDeque<>();
    private int matmulWeights;

    /** Largest int8 weight magnitude: quantize_dynamic's reduce_range=True range for symmetric QInt8. */
    static final int QMAX = 64;

    GraphBuilder(Precision precision, long seed) {
        this.precision = precision;
        this.seed = seed;
    }

    /** The float element type activations have inside the graph. */
    int floatType() {
        return precision == Precision.FP16 ? Onnx.FLOAT16 : Onnx.FLOAT;
    }

    void push(String scope) {
        scopes.push(scope.startsWith("/") || scopes.isEmpty() ? scope : scopes.peek() + "/" + scope);
    }

    void pop() {
        scopes.pop();
    }

    private String scope() {
        return scopes.isEmpty() ? "" : scopes.peek();
    }

    private String nodeName(String opType) {
        String base = scope() + "/" + opType;
        int k = counters.merge(base, 1, Integer::sum) - 1;
        return k == 0 ? base : base + "_" + k;
    }

    /** Adds a node named after the current scope; returns its (only) output. */
    String node(String opType, List<String> inputs, Onnx.Attribute... attributes) {
        return nodeTo(null, opType, inputs, attributes);
    }

    /** As {@link #node}, with the output named {@code output} (a graph output) unless it is null. */
    String nodeTo(String output, String opType, List<String> inputs, Onnx.Attribute... attributes) {
        String name = nodeName(opType);
        String out = output != null ? output : name + "_output_0";
        nodes.add(new Onnx.Node(opType, name, inputs, List.of(out), List.of(attributes)));
        return out;
    }

    /** Adds a node with explicit names (for quantization and IO casts, which are not scoped). */
    void rawNode(String opType, String name, List<String> inputs, List<String> outputs, Onnx.Attribute... attributes) {
        nodes.add(new Onnx.Node(opType, name, inputs, outputs, List.of(attributes)));
    }

    private String constant(int dataType, long[] dims, Onnx.TensorData data) {
        Onnx.Tensor t = new Onnx.Tensor("", dataType, dims, data);
        return node("Constant", List.of(), Onnx.Attribute.of("value", t));
    }

    /** A 1-D int64 Constant. */
    String i64(long... values) {
        return constant(Onnx.INT64, new long[] {values.length}, Weights.longs(values));
    }

    /** A 0-D int64 Constant. */
    String i64Scalar(long value) {
        return constant(Onnx.INT64, new long[0], Weights.longs(value));
    }

    /** An int64 Constant of any shape. */
    String i64Tensor(long[] dims, long[] values) {
        return constant(Onnx.INT64, dims, Weights.longs(values));
    }

    /** A 0-D float Constant, float16 in the FP16 variant. */
    String floatScalar(float value) {
        return precision == Precision.FP16
                ? constant(Onnx.FLOAT16, new long[0], Weights.halves(value))
                : constant(Onnx.FLOAT, new long[0], Weights.floats(value));
    }

    /** {@code Cast(to=float)} as the exporter writes it; float16 in the FP16 variant. */
    String castToFloat(String x) {
        return node("Cast", List.of(x), Onnx.Attribute.of("to", (long) floatType()));
    }

    /** A float parameter under its state-dict name. */
    String param(Weights.Spec spec) {
        return param(spec, spec.key());
    }

    /** A float parameter stored as {@code name}; a repeated constant fill becomes an Identity of the first. */
    String param(Weights.Spec spec, String name) {
        if (spec.isConstant()) {
            String fill = spec.a() + "@" + Arrays.toString(spec.dims());
            String first = constantFills.putIfAbsent(fill, name);
            if (first != null) {
                identities.add(new Onnx.Node("Identity", "Identity_" + identities.size(), List.of(first),
                        List.of(name), List.of()));
                return name;
            }
        }
        Onnx.TensorData data = precision == Precision.FP16
                ? Weights.float16(spec, seed)
                : Weights.float32(spec, seed);
        initializers.add(new Onnx.Tensor(name, floatType(), spec.dims(), data));
        return name;
    }

    /**
     * {@code x @ W} for a constant weight {@code W} of shape [in, out] (a transposed Linear weight):
     * a MatMul, or in the INT8 variant the pattern of onnxruntime's {@code quantize_dynamic} —
     * DynamicQuantizeLinear on {@code x} (shared by every MatMul reading {@code x}), MatMulInteger with
     * per-tensor symmetric int8 weights, Cast, and Mul by the product of the two scales — which ONNX
     * Runtime fuses into MatMulIntegerToFloat / DynamicQuantizeMatMul.
     */
    String matmul(String x, Weights.Spec weight) {
        String weightName = "onnx::MatMul_" + matmulWeights++;
        if (precision != Precision.INT8) {
            return node("MatMul", List.of(x, param(weight, weightName)));
        }
        String[] q = quantizedActivations.computeIfAbsent(x, in -> {
            String[] outs = {in + "_quantized", in + "_scale", in + "_zero_point"};
            rawNode("DynamicQuantizeLinear", in + "_QuantizeLinear", List.of(in), List.of(outs));
            return outs;
        });
        float[] w = weight.generate(seed);
        float absMax = 0;
        for (float v : w) absMax = Math.max(absMax, Math.abs(v));
        // Symmetric int8 with zero point 0, in quantize_dynamic's reduce_range=True range [-64, 64]: without
        // AVX-512 VNNI, ONNX Runtime's u8s8 kernel multiplies with VPMADDUBSW, whose int16 pair sums saturate
        // for full-range weights (255·127·2 > 32767); on this AVX2 machine the full range [-127, 127] cut the
        // tiny model's int8-vs-fp32 cosine to 0.80.
        float scale = absMax == 0 ? 1f : (2 * absMax) / (2 * QMAX);
        byte[] qw = new byte[w.length];
        for (int i = 0; i < w.length; i++) {
            qw[i] = (byte) Math.max(-QMAX, Math.min(QMAX, Math.rint(w[i] / scale)));
        }
        String wq = weightName + "_quantized";
        String ws = weightName + "_scale";
        String wz = weightName + "_zero_point";
        initializers.add(new Onnx.Tensor(wq, Onnx.INT8, weight.dims(), Weights.bytes(qw)));
        initializers.add(new Onnx.Tensor(ws, Onnx.FLOAT, new long[0], Weights.floats(scale)));
        initializers.add(new Onnx.Tensor(wz, Onnx.INT8, new long[0], Weights.bytes(new byte[1])));

        String name = nodeName("MatMul");
        String out = name + "_output_0";
        String integer = out + "_output_quantized";
        rawNode("MatMulInteger", name + "_quant", List.of(q[0], wq, q[2], wz), List.of(integer));
        String cast = integer + "_cast_output";
        rawNode("Cast", integer + "_cast", List.of(integer), List.of(cast), Onnx.Attribute.of("to", (long) Onnx.FLOAT));
        String scales = name + "_quant_scales_mul:0";
        rawNode("Mul", name + "_quant_scales_mul", List.of(q[1], ws), List.of(scales));
        rawNode("Mul", name + "_quant_output_scale_mul", List.of(cast, scales), List.of(out));
        return out;
    }

    /** The finished graph: Identity aliases first, then the nodes in the order they were added. */
    Onnx.Graph build(String name, List<Onnx.ValueInfo> inputs, List<Onnx.ValueInfo> outputs) {
        List<Onnx.Node> all = new ArrayList<>(identities);
        all.addAll(nodes);
        return new Onnx.Graph(name, all, initializers, inputs, outputs);
    }
}
