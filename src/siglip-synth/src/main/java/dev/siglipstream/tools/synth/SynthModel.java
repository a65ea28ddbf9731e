package dev.siglipstream.tools.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Writes a random-weight SigLIP model folder in the Hugging Face Hub layout, for benchmarks and tests
 * where real checkpoints cannot be downloaded: {@code config.json}, {@code preprocessor_config.json}, a
 * SentencePiece tokenizer, and {@code onnx/vision_model.onnx}, {@code onnx/text_model.onnx},
 * {@code onnx/model.onnx}, and float16 ({@code onnx/vision_model_fp16.onnx}, {@code onnx/text_model_fp16.onnx})
 * and dynamically int8-quantized ({@code onnx/vision_model_quantized.onnx}, {@code onnx/text_model_quantized.onnx})
 * variants of the towers, with the input/output names, dynamic axes and operator patterns of the Hub exports.
 *
 * <p>ONNX Runtime 1.24.1 on CPU cannot create a session for the float16 graphs at its default level,
 * ALL ("Attempting to get index by a name which does not exist: InsertedPrecisionFreeCast_…" in a
 * SimplifiedLayerNormFusion node); up to EXTENDED (and LAYOUT) they load and run. The int8 weights use
 * quantize_dynamic's {@code reduce_range} range, which avoids u8s8 saturation on CPUs without AVX-512 VNNI.
 *
 * <pre>{@code
 * SynthModel.write(SynthModel.Preset.BASE_PATCH16_224, Path.of("/tmp/siglip-base"), 0);
 * }</pre>
 *
 * <p>The weights are random (transformers' initialisation, seeded); the scores mean nothing, only the
 * shapes, the amount of compute and the numerics of the graph are those of the real architecture.
 */
public final class SynthModel {
    /** {@code logit_scale} as the SigLIP paper initialises it (exp = 10); transformers' _init_weights uses log(1). */
    public static final float LOGIT_SCALE = (float) Math.log(10.0);
    /** {@code logit_bias} as the SigLIP paper initialises it; transformers' _init_weights uses 0. */
    public static final float LOGIT_BIAS = -10f;

    /** Producer recorded in every written ONNX file. */
    static final String PRODUCER = "siglip-stream-synth";
    static final int OPSET = 14;

    /** Model sizes. */
    public enum Preset {
        /** google/siglip-base-patch16-224: 768 wide, 12 layers, 12 heads, MLP 3072, 224 px / 16, vocab 32,000. */
        BASE_PATCH16_224("base-patch16-224", 768, 12, 12, 3072, 16, 224, 768, 12, 12, 3072, 32_000, 64),
        /** The conformance tiny model's architecture (64 wide, 2 layers, 4 heads, MLP 128, 64 px, vocab 1,000). */
        TINY("tiny", 64, 2, 4, 128, 16, 64, 64, 2, 4, 128, 1_000, 64);

        private final String id;
        private final int visionHidden;
        private final int visionLayers;
        private final int visionHeads;
        private final int visionMlp;
        private final int patchSize;
        private final int imageSize;
        private final int textHidden;
        private final int textLayers;
        private final int textHeads;
        private final int textMlp;
        private final int vocabSize;
        private final int maxPositions;

        Preset(String id, int visionHidden, int visionLayers, int visionHeads, int visionMlp, int patchSize,
                int imageSize, int textHidden, int textLayers, int textHeads, int textMlp, int vocabSize,
                int maxPositions) {
            this.id = id;
            this.visionHidden = visionHidden;
            this.visionLayers = visionLayers;
            this.visionHeads = visionHeads;
            this.visionMlp = visionMlp;
            this.patchSize = patchSize;
            this.imageSize = imageSize;
            this.textHidden = textHidden;
            this.textLayers = textLayers;
            this.textHeads = textHeads;
            this.textMlp = textMlp;
            this.vocabSize = vocabSize;
            this.maxPositions = maxPositions;
        }

        /** The command-line name, e.g. {@code base-patch16-224}. */
        public String id() {
            return id;
        }

        /** Parses {@link #id()} (case-insensitive). */
        public static Preset parse(String name) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            for (Preset p : values()) {
                if (p.id.equals(n)) return p;
            }
            throw new IllegalArgumentException("unknown preset '" + name + "', expected base-patch16-224 or tiny");
        }

        public int visionHidden() {
            return visionHidden;
        }

        public int visionLayers() {
            return visionLayers;
        }

        public int visionHeads() {
            return visionHeads;
        }

        public int visionMlp() {
            return visionMlp;
        }

        public int patchSize() {
            return patchSize;
        }

        public int imageSize() {
            return imageSize;
        }

        public int textHidden() {
            return textHidden;
        }

        public int textLayers() {
            return textLayers;
        }

        public int textHeads() {
            return textHeads;
        }

        public int textMlp() {
            return textMlp;
        }

        public int vocabSize() {
            return vocabSize;
        }

        public int maxPositions() {
            return maxPositions;
        }
    }

    /** The tokenizer fixture's ids (transformers' tests/fixtures/test_sentencepiece.model). */
    static final int BOS_ID = 1;
    static final int EOS_ID = 2;
    static final int PAD_ID = 2;

    private SynthModel() {}

    /**
     * Writes the folder {@code out} (created if missing; files of the same names are replaced, nothing
     * else is touched). The same preset and seed always give byte-identical files.
     */
    public static void write(Preset preset, Path out, long seed) {
        write(preset, out, seed, file -> {});
    }

    /** The files {@link #write} writes: the metadata, then the ONNX graphs. */
    public static final int FILES = 8;

    /** As {@link #write(Preset, Path, long)}, telling {@code written} each file (or group of files) done. */
    public static void write(Preset preset, Path out, long seed, java.util.function.Consumer<String> written) {
        writeMetadata(preset, out, seed);
        written.accept("config and tokenizer");
        Path onnx = out.resolve("onnx");
        writeGraph(SiglipGraphBuilder.visionModel(preset, seed, GraphBuilder.Precision.FP32), onnx.resolve("vision_model.onnx"), written);
        writeGraph(SiglipGraphBuilder.textModel(preset, seed, GraphBuilder.Precision.FP32), onnx.resolve("text_model.onnx"), written);
        writeGraph(SiglipGraphBuilder.combinedModel(preset, seed), onnx.resolve("model.onnx"), written);
        writeGraph(SiglipGraphBuilder.visionModel(preset, seed, GraphBuilder.Precision.FP16),
                onnx.resolve("vision_model_fp16.onnx"), written);
        writeGraph(SiglipGraphBuilder.visionModel(preset, seed, GraphBuilder.Precision.INT8),
                onnx.resolve("vision_model_quantized.onnx"), written);
        // the text variants too, so that a library loading split towers of one variant finds both
        writeGraph(SiglipGraphBuilder.textModel(preset, seed, GraphBuilder.Precision.FP16),
                onnx.resolve("text_model_fp16.onnx"), written);
        writeGraph(SiglipGraphBuilder.textModel(preset, seed, GraphBuilder.Precision.INT8),
                onnx.resolve("text_model_quantized.onnx"), written);
    }

    private static void writeGraph(Onnx.Graph graph, Path file, java.util.function.Consumer<String> written) {
        writeGraph(graph, file);
        written.accept("onnx/" + file.getFileName());
    }

    /** Everything but the ONNX graphs: configs, tokenizer, model card (and the empty onnx/ folder). */
    static void writeMetadata(Preset preset, Path out, long seed) {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException("the output " + out + " is a file, expected a folder");
        }
        try {
            Files.createDirectories(out.resolve("onnx"));
            ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            json.writeValue(out.resolve("config.json").toFile(), config(json, preset));
            json.writeValue(out.resolve("preprocessor_config.json").toFile(), preprocessorConfig(json, preset));
            for (String f : new String[] {"spiece.model", "tokenizer_config.json", "special_tokens_map.json"}) {
                copyResource(f, out.resolve(f));
            }
            Files.writeString(out.resolve("README.md"), modelCard(preset, seed), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the model folder " + out + ": " + e.getMessage(), e);
        }
    }

    private static void writeGraph(Onnx.Graph graph, Path file) {
        OnnxWriter.write(graph, OPSET, PRODUCER, "1", file);
    }

    private static ObjectNode config(ObjectMapper json, Preset p) {
        ObjectNode root = json.createObjectNode();
        root.putArray("architectures").add("SiglipModel");
        root.put("initializer_factor", 1.0);
        root.put("model_type", "siglip");
        ObjectNode text = root.putObject("text_config");
        text.put("attention_dropout", 0.0);
        text.put("bos_token_id", BOS_ID);
        text.put("eos_token_id", EOS_ID);
        text.put("hidden_act", "gelu_pytorch_tanh");
        text.put("hidden_size", p.textHidden());
        text.put("intermediate_size", p.textMlp());
        text.put("layer_norm_eps", 1e-6);
        text.put("max_position_embeddings", p.maxPositions());
        text.put("model_type", "siglip_text_model");
        text.put("num_attention_heads", p.textHeads());
        text.put("num_hidden_layers", p.textLayers());
        text.put("pad_token_id", PAD_ID);
        text.put("vocab_size", p.vocabSize());
        root.put("torch_dtype", "float32");
        root.put("transformers_version", "4.45.1");
        ObjectNode vision = root.putObject("vision_config");
        vision.put("attention_dropout", 0.0);
        vision.put("hidden_act", "gelu_pytorch_tanh");
        vision.put("hidden_size", p.visionHidden());
        vision.put("image_size", p.imageSize());
        vision.put("intermediate_size", p.visionMlp());
        vision.put("layer_norm_eps", 1e-6);
        vision.put("model_type", "siglip_vision_model");
        vision.put("num_attention_heads", p.visionHeads());
        vision.put("num_channels", 3);
        vision.put("num_hidden_layers", p.visionLayers());
        vision.put("patch_size", p.patchSize());
        return root;
    }

    private static ObjectNode preprocessorConfig(ObjectMapper json, Preset p) {
        ObjectNode root = json.createObjectNode();
        root.putNull("do_convert_rgb");
        root.put("do_normalize", true);
        root.put("do_rescale", true);
        root.put("do_resize", true);
        ArrayNode mean = root.putArray("image_mean");
        ArrayNode std = root.putArray("image_std");
        for (int i = 0; i < 3; i++) {
            mean.add(0.5);
            std.add(0.5);
        }
        root.put("image_processor_type", "SiglipImageProcessor");
        root.put("processor_class", "SiglipProcessor");
        root.put("resample", 3);
        root.put("rescale_factor", 1.0 / 255);
        ObjectNode size = root.putObject("size");
        size.put("height", p.imageSize());
        size.put("width", p.imageSize());
        return root;
    }

    private static void copyResource(String name, Path target) throws IOException {
        try (InputStream in = SynthModel.class.getResourceAsStream("/synth/" + name)) {
            if (in == null) throw new IOException("resource /synth/" + name + " is missing from the class path");
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String modelCard(Preset p, long seed) {
        return "# Synthetic SigLIP (" + p.id() + ", random weights)\n\n"
                + "Written by `siglip synth-model --preset " + p.id() + " --seed " + seed + "` (siglip-stream).\n"
                + "The weights are **random** (transformers' SigLIP initialisation, seeded): the scores mean nothing.\n"
                + "Architecture, file layout, input/output names and ONNX operator patterns follow\n"
                + "google/siglip-base-patch16-224 and its Hub ONNX exports, so the folder is fit for load tests\n"
                + "and benchmarks only.\n\n"
                + "- vision: " + p.visionHidden() + " wide, " + p.visionLayers() + " layers, " + p.visionHeads()
                + " heads, MLP " + p.visionMlp() + ", patch " + p.patchSize() + ", image " + p.imageSize() + "\n"
                + "- text: " + p.textHidden() + " wide, " + p.textLayers() + " layers, " + p.textHeads()
                + " heads, MLP " + p.textMlp() + ", vocab " + p.vocabSize() + ", " + p.maxPositions() + " positions\n"
                + "- logit_scale = ln 10, logit_bias = -10 (the SigLIP paper's initialisation)\n"
                + "- text tower: token embeddings x2 and query/key projections x3 over the default initialisation,\n"
                + "  so that different texts get different embeddings\n"
                + "- tokenizer: transformers' SentencePiece test fixture (1,000 pieces; `</s>` = 2 pads)\n"
                + "- onnx/*_fp16.onnx: float16 weights, float32 inputs/outputs (ONNX Runtime CPU: optimisation level EXTENDED at most);\n"
                + "  onnx/*_quantized.onnx: dynamic int8 quantization (reduce_range) of the MatMuls by weights\n";
    }
}
