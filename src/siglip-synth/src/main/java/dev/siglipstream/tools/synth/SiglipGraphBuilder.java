package dev.siglipstream.tools.synth;

import dev.siglipstream.tools.synth.GraphBuilder.Precision;
import dev.siglipstream.tools.synth.Onnx.Attribute;
import java.util.List;

/**
 * Builds SigLIP's ONNX graphs node for node as {@code torch.onnx.export} (opset 14, constant folding on)
 * writes them for transformers' {@code SiglipVisionModel}, {@code SiglipTextModel} and {@code SiglipModel}:
 * decomposed LayerNorm, tanh-GELU, per-head Reshape/Transpose attention, the attention-pooling head
 * traced through {@code nn.MultiheadAttention}, and the same input/output names and dynamic axes as the
 * conformance exports. Mirroring the exporter's operator patterns is what lets ONNX Runtime apply the
 * same fusions (LayerNormalization, FastGelu, MatMulIntegerToFloat) it applies to real exports.
 */
final class SiglipGraphBuilder {
    private final GraphBuilder g;
    private final SynthModel.Preset p;

    private SiglipGraphBuilder(SynthModel.Preset preset, long seed, Precision precision) {
        this.g = new GraphBuilder(precision, seed);
        this.p = preset;
    }

    /** {@code onnx/vision_model*.onnx}: pixel_values → last_hidden_state, pooler_output. */
    static Onnx.Graph visionModel(SynthModel.Preset preset, long seed, Precision precision) {
        SiglipGraphBuilder b = new SiglipGraphBuilder(preset, seed, precision);
        boolean half = precision == Precision.FP16;
        String pixels = "pixel_values";
        if (half) {
            pixels = "graph_input_cast_0";
            b.g.rawNode("Cast", "graph_input_cast0", List.of("pixel_values"), List.of(pixels),
                    Attribute.of("to", (long) Onnx.FLOAT16));
        }
        String[] out = b.vision(pixels, half ? "graph_output_cast_0" : "last_hidden_state",
                half ? "graph_output_cast_1" : "pooler_output");
        if (half) {
            b.g.rawNode("Cast", "graph_output_cast0", List.of(out[0]), List.of("last_hidden_state"),
                    Attribute.of("to", (long) Onnx.FLOAT));
            b.g.rawNode("Cast", "graph_output_cast1", List.of(out[1]), List.of("pooler_output"),
                    Attribute.of("to", (long) Onnx.FLOAT));
        }
        return b.g.build("torch_jit",
                List.of(new Onnx.ValueInfo("pixel_values", Onnx.FLOAT,
                        List.of("batch_size", "num_channels", "height", "width"))),
                List.of(new Onnx.ValueInfo("last_hidden_state", Onnx.FLOAT,
                                List.of("batch_size", "Addlast_hidden_state_dim_1", "Addlast_hidden_state_dim_2")),
                        new Onnx.ValueInfo("pooler_output", Onnx.FLOAT,
                                List.of("batch_size", (long) preset.visionHidden()))));
    }

    /** {@code onnx/text_model*.onnx}: input_ids → last_hidden_state, pooler_output. */
    static Onnx.Graph textModel(SynthModel.Preset preset, long seed, Precision precision) {
        SiglipGraphBuilder b = new SiglipGraphBuilder(preset, seed, precision);
        boolean half = precision == Precision.FP16;
        String[] out = b.text("input_ids", half ? "graph_output_cast_0" : "last_hidden_state",
                half ? "graph_output_cast_1" : "pooler_output");
        if (half) {
            b.g.rawNode("Cast", "graph_output_cast0", List.of(out[0]), List.of("last_hidden_state"),
                    Attribute.of("to", (long) Onnx.FLOAT));
            b.g.rawNode("Cast", "graph_output_cast1", List.of(out[1]), List.of("pooler_output"),
                    Attribute.of("to", (long) Onnx.FLOAT));
        }
        return b.g.build("torch_jit",
                List.of(new Onnx.ValueInfo("input_ids", Onnx.INT64, List.of("batch_size", "sequence_length"))),
                List.of(new Onnx.ValueInfo("last_hidden_state", Onnx.FLOAT,
                                List.of("batch_size", "sequence_length", (long) preset.textHidden())),
                        new Onnx.ValueInfo("pooler_output", Onnx.FLOAT,
                                List.of("batch_size", (long) preset.textHidden()))));
    }

    /**
     * {@code onnx/model.onnx}: both towers, L2-normalised embeddings and
     * {@code logits = exp(logit_scale) · text_embeds · image_embedsᵀ + logit_bias}.
     */
    static Onnx.Graph combinedModel(SynthModel.Preset preset, long seed) {
        SiglipGraphBuilder b = new SiglipGraphBuilder(preset, seed, Precision.FP32);
        GraphBuilder g = b.g;
        String imagePooled = b.vision("pixel_values", null, null)[1];
        String textPooled = b.text("input_ids", null, null)[1];
        g.push("");
        String n1 = g.node("ReduceL2", List.of(imagePooled), Attribute.ofInts("axes", -1), Attribute.of("keepdims", 1L));
        String imageEmbeds = g.nodeTo("image_embeds", "Div", List.of(imagePooled, n1));
        String n2 = g.node("ReduceL2", List.of(textPooled), Attribute.ofInts("axes", -1), Attribute.of("keepdims", 1L));
        String textEmbeds = g.nodeTo("text_embeds", "Div", List.of(textPooled, n2));
        String t = g.node("Transpose", List.of(imageEmbeds), Attribute.ofInts("perm", 1, 0));
        String c = g.castToFloat(t);
        String mm = g.node("MatMul", List.of(textEmbeds, c));
        String scale = g.node("Exp", List.of(g.param(Weights.constant("logit_scale", SynthModel.LOGIT_SCALE, 1))));
        String mul = g.node("Mul", List.of(mm, scale));
        String perText = g.nodeTo("logits_per_text", "Add",
                List.of(mul, g.param(Weights.constant("logit_bias", SynthModel.LOGIT_BIAS, 1))));
        g.nodeTo("logits_per_image", "Transpose", List.of(perText), Attribute.ofInts("perm", 1, 0));
        g.pop();
        long d = preset.visionHidden();
        return g.build("torch_jit",
                List.of(new Onnx.ValueInfo("input_ids", Onnx.INT64, List.of("text_batch_size", "sequence_length")),
                        new Onnx.ValueInfo("pixel_values", Onnx.FLOAT,
                                List.of("image_batch_size", "num_channels", "height", "width"))),
                List.of(new Onnx.ValueInfo("logits_per_image", Onnx.FLOAT, List.of("image_batch_size", "text_batch_size")),
                        new Onnx.ValueInfo("logits_per_text", Onnx.FLOAT, List.of("text_batch_size", "image_batch_size")),
                        new Onnx.ValueInfo("text_embeds", Onnx.FLOAT, List.of("text_batch_size", (long) preset.textHidden())),
                        new Onnx.ValueInfo("image_embeds", Onnx.FLOAT, List.of("image_batch_size", d))));
    }

    // ---------------------------------------------------------------- towers

    private String[] vision(String pixels, String lastName, String poolName) {
        int d = p.visionHidden();
        int patch = p.patchSize();
        int patches = (p.imageSize() / patch) * (p.imageSize() / patch);
        String key = "vision_model";
        g.push("/vision_model");
        g.push("embeddings");
        g.push("patch_embedding");
        String conv = g.node("Conv", List.of(pixels,
                        g.param(Weights.lecunNormal(key + ".embeddings.patch_embedding.weight", 3L * patch * patch,
                                d, 3, patch, patch)),
                        g.param(Weights.constant(key + ".embeddings.patch_embedding.bias", 0, d))),
                Attribute.ofInts("dilations", 1, 1), Attribute.of("group", 1L),
                Attribute.ofInts("kernel_shape", patch, patch), Attribute.ofInts("pads", 0, 0, 0, 0),
                Attribute.ofInts("strides", patch, patch));
        g.pop();
        String shape = g.node("Shape", List.of(conv));
        String axes = g.i64(0);
        String starts = g.i64(0);
        String ends = g.i64(2);
        String slice = g.node("Slice", List.of(shape, starts, ends, axes));
        String concat = g.node("Concat", List.of(slice, g.i64(-1)), Attribute.of("axis", 0L));
        String flat = g.node("Reshape", List.of(conv, concat), Attribute.of("allowzero", 0L));
        String tokens = g.node("Transpose", List.of(flat), Attribute.ofInts("perm", 0, 2, 1));
        g.push("position_embedding");
        String ids = g.i64Tensor(new long[] {1, patches}, range(patches));
        String pos = g.node("Gather", List.of(
                g.param(Weights.normal(key + ".embeddings.position_embedding.weight", 1 / Math.sqrt(d), patches, d)),
                ids));
        g.pop();
        String x = g.node("Add", List.of(tokens, pos));
        g.pop();
        g.push("encoder");
        for (int i = 0; i < p.visionLayers(); i++) {
            x = encoderLayer(i, key + ".encoder.layers." + i, x, d, p.visionHeads(), p.visionMlp(), 1.0);
        }
        g.pop();
        String last = layerNorm("post_layernorm", x, key + ".post_layernorm", d, lastName);
        String pooled = attentionPoolingHead(last, key + ".head", poolName);
        g.pop();
        return new String[] {last, pooled};
    }

    private String[] text(String inputIds, String lastName, String poolName) {
        int d = p.textHidden();
        int positions = p.maxPositions();
        String key = "text_model";
        g.push("/text_model");
        String len = g.node("Gather", List.of(g.node("Shape", List.of(inputIds)), g.i64Scalar(1)),
                Attribute.of("axis", 0L));
        String lastIndex = g.i64Scalar(-1);
        String minusOne = g.i64(-1);
        String lenVec = g.node("Unsqueeze", List.of(len, g.i64(0)));
        String shape = g.node("Concat", List.of(minusOne, lenVec), Attribute.of("axis", 0L));
        String ids = g.node("Reshape", List.of(inputIds, shape), Attribute.of("allowzero", 0L));
        g.push("embeddings");
        String seqLen = g.node("Gather", List.of(g.node("Shape", List.of(ids)), g.i64Scalar(1)),
                Attribute.of("axis", 0L));
        String positionIds = g.i64Tensor(new long[] {1, positions}, range(positions));
        String start = g.i64(0);
        String end = g.node("Unsqueeze", List.of(seqLen, g.i64(0)));
        String sliced = g.node("Slice", List.of(positionIds, start, end, g.i64(1), g.i64(1)));
        g.push("token_embedding");
        // x2 over transformers' init: with plain init, texts padded to 64 with the same token and pooled at
        // the last position embed almost identically (the conformance tiny model made the same adjustment)
        String tok = g.node("Gather", List.of(
                g.param(Weights.normal(key + ".embeddings.token_embedding.weight", 2 / Math.sqrt(d), p.vocabSize(), d)),
                ids));
        g.pop();
        g.push("position_embedding");
        String pos = g.node("Gather", List.of(
                g.param(Weights.normal(key + ".embeddings.position_embedding.weight", 1 / Math.sqrt(d), positions, d)),
                sliced));
        g.pop();
        String x = g.node("Add", List.of(tok, pos));
        g.pop();
        g.push("encoder");
        for (int i = 0; i < p.textLayers(); i++) {
            x = encoderLayer(i, key + ".encoder.layers." + i, x, d, p.textHeads(), p.textMlp(), 3.0);
        }
        g.pop();
        String last = layerNorm("final_layer_norm", x, key + ".final_layer_norm", d, lastName);
        String lastToken = g.node("Gather", List.of(last, lastIndex), Attribute.of("axis", 1L));
        g.push("head");
        String pooled = g.nodeTo(poolName, "Gemm", List.of(lastToken,
                        g.param(Weights.lecunNormal(key + ".head.weight", d, d, d)),
                        g.param(Weights.constant(key + ".head.bias", 0, d))),
                Attribute.of("alpha", 1f), Attribute.of("beta", 1f), Attribute.of("transB", 1L));
        g.pop();
        g.pop();
        return new String[] {last, pooled};
    }

    // ---------------------------------------------------------------- blocks

    private String encoderLayer(int index, String key, String x, int d, int heads, int mlp, double qkGain) {
        g.push("layers." + index);
        String h = layerNorm("layer_norm1", x, key + ".layer_norm1", d, null);
        String attn = selfAttention(h, key + ".self_attn", d, heads, qkGain);
        String residual = g.node("Add", List.of(x, attn));
        String h2 = layerNorm("layer_norm2", residual, key + ".layer_norm2", d, null);
        String m = mlp(h2, key + ".mlp", d, mlp);
        String out = g.node("Add", List.of(residual, m));
        g.pop();
        return out;
    }

    /** torch's LayerNorm at opset 14: ReduceMean, Sub, Pow, ReduceMean, Add(eps), Sqrt, Div, Mul, Add. */
    private String layerNorm(String scope, String x, String key, int d, String outName) {
        g.push(scope);
        String mean = g.node("ReduceMean", List.of(x), Attribute.ofInts("axes", -1));
        String centered = g.node("Sub", List.of(x, mean));
        String squared = g.node("Pow", List.of(centered, g.floatScalar(2f)));
        String variance = g.node("ReduceMean", List.of(squared), Attribute.ofInts("axes", -1));
        String std = g.node("Sqrt", List.of(g.node("Add", List.of(variance, g.floatScalar(1e-6f)))));
        String normed = g.node("Div", List.of(centered, std));
        String scaled = g.node("Mul", List.of(normed, g.param(Weights.constant(key + ".weight", 1, d))));
        String out = g.nodeTo(outName, "Add", List.of(scaled, g.param(Weights.constant(key + ".bias", 0, d))));
        g.pop();
        return out;
    }

    private String selfAttention(String x, String key, int d, int heads, double qkGain) {
        int headDim = d / heads;
        g.push("self_attn");
        String batch = g.node("Gather", List.of(g.node("Shape", List.of(x)), g.i64Scalar(0)), Attribute.of("axis", 0L));
        String seq = g.node("Gather", List.of(g.node("Shape", List.of(x)), g.i64Scalar(1)), Attribute.of("axis", 0L));
        // qkGain > 1 sharpens the text tower's attention (see the token embedding note)
        String q = linear("q_proj", x, key + ".q_proj", d, d, qkGain, false);
        String k = linear("k_proj", x, key + ".k_proj", d, d, qkGain, false);
        String v = linear("v_proj", x, key + ".v_proj", d, d, 1.0, false);
        String qShape = headsShape(batch, seq, heads, headDim);
        String kShape = headsShape(batch, seq, heads, headDim);
        String vShape = headsShape(batch, seq, heads, headDim);
        String qh = g.node("Transpose", List.of(g.node("Reshape", List.of(q, qShape), Attribute.of("allowzero", 0L))),
                Attribute.ofInts("perm", 0, 2, 1, 3));
        String kr = g.node("Reshape", List.of(k, kShape), Attribute.of("allowzero", 0L));
        String vr = g.node("Reshape", List.of(v, vShape), Attribute.of("allowzero", 0L));
        String vh = g.node("Transpose", List.of(vr), Attribute.ofInts("perm", 0, 2, 1, 3));
        String khT = g.node("Transpose", List.of(kr), Attribute.ofInts("perm", 0, 2, 3, 1));
        String scores = g.node("MatMul", List.of(qh, khT));
        String scaled = g.node("Mul", List.of(scores, g.floatScalar((float) Math.pow(headDim, -0.5))));
        String probs = g.node("Softmax", List.of(scaled), Attribute.of("axis", -1L));
        String cast = g.castToFloat(g.castToFloat(probs));
        String ctx = g.node("MatMul", List.of(cast, vh));
        String ctxT = g.node("Transpose", List.of(ctx), Attribute.ofInts("perm", 0, 2, 1, 3));
        String outShape = g.node("Concat", List.of(unsqueeze0(batch), unsqueeze0(seq), g.i64(d)),
                Attribute.of("axis", 0L));
        String merged = g.node("Reshape", List.of(ctxT, outShape), Attribute.of("allowzero", 0L));
        String out = linear("out_proj", merged, key + ".out_proj", d, d, 1.0, false);
        g.pop();
        return out;
    }

    private String headsShape(String batch, String seq, int heads, int headDim) {
        return g.node("Concat", List.of(unsqueeze0(batch), unsqueeze0(seq), g.i64(heads), g.i64(headDim)),
                Attribute.of("axis", 0L));
    }

    private String unsqueeze0(String x) {
        return g.node("Unsqueeze", List.of(x, g.i64(0)));
    }

    /**
     * A Linear as exported: MatMul by the transposed weight, then Add(bias, ·). Attention projections are
     * xavier-uniform with zero bias, MLP layers xavier-uniform with N(0, 1e-6) bias (transformers' init).
     */
    private String linear(String scope, String x, String key, int in, int out, double gain, boolean mlpBias) {
        g.push(scope);
        String mm = g.matmul(x, Weights.xavierUniform(key + ".weight", in, out, gain, in, out));
        Weights.Spec bias = mlpBias ? Weights.normal(key + ".bias", 1e-6, out) : Weights.constant(key + ".bias", 0, out);
        String y = g.node("Add", List.of(g.param(bias), mm));
        g.pop();
        return y;
    }

    private String mlp(String x, String key, int d, int hidden) {
        g.push("mlp");
        String h = linear("fc1", x, key + ".fc1", d, hidden, 1.0, true);
        g.push("activation_fn");
        String gelu = tanhGelu(h);
        g.pop();
        String out = linear("fc2", gelu, key + ".fc2", hidden, d, 1.0, true);
        g.pop();
        return out;
    }

    /** gelu_pytorch_tanh: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), in the exporter's operand order. */
    private String tanhGelu(String x) {
        String x2 = g.node("Mul", List.of(x, x));
        String x3 = g.node("Mul", List.of(x, x2));
        String cx3 = g.node("Mul", List.of(g.floatScalar(0.044715f), x3));
        String inner = g.node("Add", List.of(x, cx3));
        String scaled = g.node("Mul", List.of(g.floatScalar((float) Math.sqrt(2 / Math.PI)), inner));
        String tanh = g.node("Tanh", List.of(scaled));
        String onePlus = g.node("Add", List.of(g.floatScalar(1f), tanh));
        String xTimes = g.node("Mul", List.of(x, onePlus));
        return g.node("Mul", List.of(g.floatScalar(0.5f), xTimes));
    }

    /**
     * SiglipMultiheadAttentionPoolingHead: a learned probe attends over the patch tokens through
     * {@code nn.MultiheadAttention} (packed in_proj weight, traced in its sequence-first layout), then
     * LayerNorm + MLP with a residual, and the probe's token is the pooled output.
     */
    private String attentionPoolingHead(String tokens, String key, String poolName) {
        int d = p.visionHidden();
        int heads = p.visionHeads();
        g.push("head");
        String batch = g.node("Gather", List.of(g.node("Shape", List.of(tokens)), g.i64Scalar(0)),
                Attribute.of("axis", 0L));
        String repeat = g.node("Concat", List.of(unsqueeze0(batch), g.i64(1), g.i64(1)), Attribute.of("axis", 0L));
        String repeat1 = g.node("Concat", List.of(unsqueeze0(batch), g.i64(1), g.i64(1)), Attribute.of("axis", 0L));
        String ones = g.node("ConstantOfShape", List.of(g.node("Shape", List.of(repeat))),
                Attribute.of("value", new Onnx.Tensor("", Onnx.INT64, new long[] {1}, Weights.longs(1))));
        String probe = g.node("Expand", List.of(
                g.param(Weights.xavierUniform(key + ".probe", d, d, 1.0, 1, 1, d)), ones));
        String query0 = g.node("Tile", List.of(probe, repeat1));

        g.push("attention");
        String inW = g.param(Weights.xavierUniform(key + ".attention.in_proj_weight", d, 3L * d, 1.0, 3L * d, d));
        String inB = g.param(Weights.constant(key + ".attention.in_proj_bias", 0, 3L * d));
        String query = g.node("Transpose", List.of(query0), Attribute.ofInts("perm", 1, 0, 2));
        String keyValue = g.node("Transpose", List.of(tokens), Attribute.ofInts("perm", 1, 0, 2));
        String tgtLen = g.node("Gather", List.of(g.node("Shape", List.of(query)), g.i64Scalar(0)), Attribute.of("axis", 0L));
        String bsz = g.node("Gather", List.of(g.node("Shape", List.of(query)), g.i64Scalar(1)), Attribute.of("axis", 0L));
        String embed = g.node("Gather", List.of(g.node("Shape", List.of(query)), g.i64Scalar(2)), Attribute.of("axis", 0L));
        String headDim = g.node("Div", List.of(embed, g.i64Scalar(heads)));
        headDim = g.node("Cast", List.of(g.node("Cast", List.of(headDim), Attribute.of("to", (long) Onnx.INT64))),
                Attribute.of("to", (long) Onnx.INT64));
        String shapeQ = g.node("Shape", List.of(query));
        String axes0 = g.i64(0);
        String lastDim = g.node("Slice", List.of(shapeQ, g.i64(-1), g.i64(Long.MAX_VALUE), axes0));
        String e = g.node("Squeeze", List.of(lastDim, g.i64(0)));
        String e2 = g.node("Mul", List.of(e, g.i64Scalar(2)));
        // weight rows [0, E) are the query projection, [E, 3E) key and value
        String eVec = unsqueeze0(e);
        String e2Vec = unsqueeze0(e2);
        String wStart = g.i64(0);
        String wAxes = g.i64(0);
        String wEnd = g.node("Add", List.of(g.i64(0), eVec));
        String wq = g.node("Slice", List.of(inW, wStart, wEnd, wAxes));
        String wEnd2 = g.node("Add", List.of(wEnd, e2Vec));
        String wkv = g.node("Slice", List.of(inW, wEnd, wEnd2, wAxes));
        String eVecB = unsqueeze0(e);
        String e2VecB = unsqueeze0(e2);
        String bStart = g.i64(0);
        String bAxes = g.i64(0);
        String bEnd = g.node("Add", List.of(g.i64(0), eVecB));
        String bq = g.node("Slice", List.of(inB, bStart, bEnd, bAxes));
        String bEnd2 = g.node("Add", List.of(bEnd, e2VecB));
        String bkv = g.node("Slice", List.of(inB, bEnd, bEnd2, bAxes));
        String q = g.node("Add", List.of(bq, g.node("MatMul", List.of(query,
                g.node("Transpose", List.of(wq), Attribute.ofInts("perm", 1, 0))))));
        String kv = g.node("Add", List.of(bkv, g.node("MatMul", List.of(keyValue,
                g.node("Transpose", List.of(wkv), Attribute.ofInts("perm", 1, 0))))));
        String minusOne = g.i64(-1);
        String twoE = g.node("Gather", List.of(g.node("Shape", List.of(kv)), minusOne), Attribute.of("axis", 0L));
        String zero = g.i64(0);
        String half = g.node("Div", List.of(g.node("Add", List.of(twoE, g.i64(1))), g.i64(2)));
        String kEnd = g.node("Mul", List.of(half, g.i64(1)));
        String k = g.node("Slice", List.of(kv, zero, kEnd, minusOne));
        String vEnd = g.node("Mul", List.of(half, g.i64(2)));
        String v = g.node("Slice", List.of(kv, kEnd, vEnd, minusOne));
        String bh = g.node("Mul", List.of(bsz, g.i64Scalar(heads)));
        String qShape = g.node("Concat", List.of(unsqueeze0(tgtLen), unsqueeze0(bh), unsqueeze0(headDim)),
                Attribute.of("axis", 0L));
        String qh = g.node("Transpose", List.of(g.node("Reshape", List.of(q, qShape), Attribute.of("allowzero", 0L))),
                Attribute.ofInts("perm", 1, 0, 2));
        String kLen = g.node("Gather", List.of(g.node("Shape", List.of(k)), g.i64Scalar(0)), Attribute.of("axis", 0L));
        String kShape = g.node("Concat", List.of(unsqueeze0(kLen), unsqueeze0(bh), unsqueeze0(headDim)),
                Attribute.of("axis", 0L));
        String kr = g.node("Reshape", List.of(k, kShape), Attribute.of("allowzero", 0L));
        String vLen = g.node("Gather", List.of(g.node("Shape", List.of(v)), g.i64Scalar(0)), Attribute.of("axis", 0L));
        String vShape = g.node("Concat", List.of(unsqueeze0(vLen), unsqueeze0(bh), unsqueeze0(headDim)),
                Attribute.of("axis", 0L));
        String vh = g.node("Transpose", List.of(g.node("Reshape", List.of(v, vShape), Attribute.of("allowzero", 0L))),
                Attribute.ofInts("perm", 1, 0, 2));
        String qs = g.node("Div", List.of(qh, g.floatScalar((float) Math.sqrt((double) d / heads))));
        String khT = g.node("Transpose", List.of(kr), Attribute.ofInts("perm", 1, 2, 0));
        String probs = g.node("Softmax", List.of(g.node("MatMul", List.of(qs, khT))), Attribute.of("axis", -1L));
        String ctx = g.node("Transpose", List.of(g.node("MatMul", List.of(probs, vh))), Attribute.ofInts("perm", 1, 0, 2));
        String rows = g.node("Mul", List.of(tgtLen, bsz));
        String flatShape = g.node("Concat", List.of(unsqueeze0(rows), unsqueeze0(embed)), Attribute.of("axis", 0L));
        String flat = g.node("Reshape", List.of(ctx, flatShape), Attribute.of("allowzero", 0L));
        String proj = g.node("Gemm", List.of(flat,
                        g.param(Weights.lecunNormal(key + ".attention.out_proj.weight", d, d, d)),
                        g.param(Weights.constant(key + ".attention.out_proj.bias", 0, d))),
                Attribute.of("alpha", 1f), Attribute.of("beta", 1f), Attribute.of("transB", 1L));
        String width = g.node("Gather", List.of(g.node("Shape", List.of(proj)), g.i64Scalar(1)), Attribute.of("axis", 0L));
        String backShape = g.node("Concat", List.of(unsqueeze0(tgtLen), unsqueeze0(bsz), unsqueeze0(width)),
                Attribute.of("axis", 0L));
        String attended = g.node("Transpose", List.of(g.node("Reshape", List.of(proj, backShape),
                Attribute.of("allowzero", 0L))), Attribute.ofInts("perm", 1, 0, 2));
        g.pop();

        String normed = layerNorm("layernorm", attended, key + ".layernorm", d, null);
        String m = mlp(normed, key + ".mlp", d, p.visionMlp());
        String sum = g.node("Add", List.of(attended, m));
        String pooled = g.nodeTo(poolName, "Gather", List.of(sum, g.i64Scalar(0)), Attribute.of("axis", 1L));
        g.pop();
        return pooled;
    }

    private static long[] range(int n) {
        long[] r = new long[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }
}
