package dev.siglipstream.tools.synth;

import static dev.siglipstream.tools.synth.OnnxFiles.allFinite;
import static dev.siglipstream.tools.synth.OnnxFiles.cosine;
import static dev.siglipstream.tools.synth.OnnxFiles.floats;
import static dev.siglipstream.tools.synth.OnnxFiles.histogram;
import static dev.siglipstream.tools.synth.OnnxFiles.longs;
import static dev.siglipstream.tools.synth.OnnxFiles.normalize;
import static dev.siglipstream.tools.synth.OnnxFiles.opTypes;
import static dev.siglipstream.tools.synth.OnnxFiles.run2d;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.siglipstream.siglip.config.SiglipConfig;
import dev.siglipstream.siglip.config.SiglipTextConfig;
import dev.siglipstream.siglip.config.SiglipVisionConfig;
import dev.siglipstream.siglip.internal.Npy;
import dev.siglipstream.siglip.onnx.ModelVariant;
import dev.siglipstream.siglip.onnx.OnnxOptions;
import dev.siglipstream.siglip.onnx.SiglipModel;
import dev.siglipstream.testutils.Conformance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tiny synthetic model: Hub layout, export-identical graph structure, and sane, consistent numerics. */
class SynthModelTest {
    @TempDir static Path dir;

    private static Path conformance;
    private static float[] pixels; // [11, 3, 64, 64], the conformance images
    private static long[] inputIds; // [21, 64], the conformance texts
    private static final int IMAGES = 11;
    private static final int TEXTS = 21;
    private static final int D = 64;

    @BeforeAll
    static void writeTinyModel() throws Exception {
        SynthModel.write(SynthModel.Preset.TINY, dir, 0);
        conformance = Conformance.root();
        pixels = Npy.read(conformance.resolve("golden/model/pixel_values_batch.npy")).floats();
        inputIds = Npy.read(conformance.resolve("golden/text/input_ids.npy")).longs();
    }

    private static Path onnx(String file) {
        return dir.resolve("onnx").resolve(file);
    }

    @Test
    void writesTheHubLayout() throws Exception {
        for (String f : List.of("config.json", "preprocessor_config.json", "spiece.model", "tokenizer_config.json",
                "special_tokens_map.json", "README.md", "onnx/vision_model.onnx", "onnx/text_model.onnx",
                "onnx/model.onnx", "onnx/vision_model_fp16.onnx", "onnx/vision_model_quantized.onnx",
                "onnx/text_model_fp16.onnx", "onnx/text_model_quantized.onnx")) {
            assertThat(dir.resolve(f)).as(f).isRegularFile();
        }
        SiglipConfig config = SiglipConfig.load(dir.resolve("config.json"));
        assertThat(config.modelType()).isEqualTo("siglip");
        assertThat(config.architectures()).containsExactly("SiglipModel");
        assertThat(config.textConfig()).isEqualTo(new SiglipTextConfig(1000, 64, 128, 2, 4, 64, "gelu_pytorch_tanh",
                1e-6, 2, 1, 2));
        assertThat(config.visionConfig()).isEqualTo(new SiglipVisionConfig(64, 128, 2, 4, 3, 64, 16,
                "gelu_pytorch_tanh", 1e-6));
        assertThat(Files.readString(dir.resolve("preprocessor_config.json")))
                .contains("\"height\" : 64", "\"resample\" : 3", "\"image_processor_type\" : \"SiglipImageProcessor\"");
        Path tiny = conformance.resolve("models/siglip-tiny");
        for (String f : List.of("spiece.model", "tokenizer_config.json", "special_tokens_map.json")) {
            assertThat(Files.readAllBytes(dir.resolve(f))).as(f).isEqualTo(Files.readAllBytes(tiny.resolve(f)));
        }
    }

    @Test
    void basePresetConfigIsTheBaseCheckpointsArchitecture(@TempDir Path base) {
        SynthModel.writeMetadata(SynthModel.Preset.BASE_PATCH16_224, base, 0);
        SiglipConfig config = SiglipConfig.load(base.resolve("config.json"));
        // transformers' config defaults are google/siglip-base-patch16-224's architecture
        assertThat(config.visionConfig()).isEqualTo(SiglipVisionConfig.defaults());
        SiglipTextConfig text = config.textConfig();
        SiglipTextConfig defaults = SiglipTextConfig.defaults();
        assertThat(new SiglipTextConfig(text.vocabSize(), text.hiddenSize(), text.intermediateSize(),
                text.numHiddenLayers(), text.numAttentionHeads(), text.maxPositionEmbeddings(), text.hiddenAct(),
                text.layerNormEps(), defaults.padTokenId(), defaults.bosTokenId(), defaults.eosTokenId()))
                .isEqualTo(defaults);
        // the shipped tokenizer (the SentencePiece test fixture) pads with </s> = 2
        assertThat(List.of(text.padTokenId(), text.bosTokenId(), text.eosTokenId())).containsExactly(2, 1, 2);
    }

    @Test
    void graphsDeclareTheConformanceExportsInputsAndOutputs() throws Exception {
        Path exports = conformance.resolve("models/siglip-tiny/onnx");
        for (String f : List.of("vision_model.onnx", "text_model.onnx", "model.onnx")) {
            try (OrtSession synth = OnnxFiles.open(onnx(f)); OrtSession reference = OnnxFiles.open(exports.resolve(f))) {
                assertThat(describe(synth.getInputInfo())).as(f).isEqualTo(describe(reference.getInputInfo()));
                assertThat(describe(synth.getOutputInfo())).as(f).isEqualTo(describe(reference.getOutputInfo()));
            }
        }
        for (String tower : List.of("vision_model", "text_model")) {
            try (OrtSession fp32 = OnnxFiles.open(onnx(tower + ".onnx"))) {
                for (String f : List.of(tower + "_fp16.onnx", tower + "_quantized.onnx")) {
                    try (OrtSession variant = OnnxFiles.open(onnx(f), OrtSession.SessionOptions.OptLevel.EXTENDED_OPT)) {
                        assertThat(describe(variant.getInputInfo())).as(f).isEqualTo(describe(fp32.getInputInfo()));
                        assertThat(describe(variant.getOutputInfo())).as(f).isEqualTo(describe(fp32.getOutputInfo()));
                    }
                }
            }
        }
    }

    /** name → "type [dims]" with dynamic axes by name, e.g. {@code pixel_values → FLOAT [batch_size, num_channels, ...]}. */
    private static Map<String, String> describe(Map<String, NodeInfo> infos) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, NodeInfo> e : infos.entrySet()) {
            TensorInfo t = (TensorInfo) e.getValue().getInfo();
            String[] names = t.getDimensionNames();
            long[] shape = t.getShape();
            String[] dims = new String[shape.length];
            for (int i = 0; i < shape.length; i++) dims[i] = shape[i] >= 0 ? Long.toString(shape[i]) : names[i];
            out.put(e.getKey(), t.type + " " + Arrays.toString(dims));
        }
        return out;
    }

    @Test
    void operatorsAreThoseOfTheTorchExports() throws Exception {
        Path exports = conformance.resolve("models/siglip-tiny/onnx");
        for (String f : List.of("vision_model.onnx", "text_model.onnx", "model.onnx")) {
            assertThat(histogram(opTypes(onnx(f)))).as(f).isEqualTo(histogram(opTypes(exports.resolve(f))));
        }
    }

    @Test
    void onnxRuntimeFusesTheGraphsAsItFusesTheTorchExports(@TempDir Path tmp) throws Exception {
        Path exports = conformance.resolve("models/siglip-tiny/onnx");
        var level = OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
        Path referenceDir = Files.createDirectory(tmp.resolve("reference"));
        for (String f : List.of("vision_model.onnx", "text_model.onnx", "model.onnx")) {
            Map<String, Integer> synth = OnnxFiles.optimizedHistogram(onnx(f), level, tmp);
            Map<String, Integer> reference = OnnxFiles.optimizedHistogram(exports.resolve(f), level, referenceDir);
            System.out.println("ORT extended-optimised " + f + ": " + synth);
            assertThat(synth).as(f).isEqualTo(reference);
        }
        // q, k, v, out, fc1, fc2 per layer (+ the vision head's fc1, fc2): all fused, none left as MatMulInteger
        Map<String, Integer> expected = Map.of("vision_model_quantized.onnx", 6 * 2 + 2, "text_model_quantized.onnx", 6 * 2);
        for (Map.Entry<String, Integer> e : expected.entrySet()) {
            Map<String, Integer> int8 = OnnxFiles.optimizedHistogram(onnx(e.getKey()), level, tmp);
            System.out.println("ORT extended-optimised " + e.getKey() + ": " + int8);
            int fused = int8.getOrDefault("MatMulIntegerToFloat", 0) + int8.getOrDefault("DynamicQuantizeMatMul", 0);
            assertThat(fused).as(e.getKey()).isEqualTo(e.getValue());
            assertThat(int8).as(e.getKey()).doesNotContainKeys("MatMulInteger");
        }
    }

    @Test
    void visionOutputsAreFiniteAndDifferPerImage() throws Exception {
        try (OrtSession vision = OnnxFiles.open(onnx("vision_model.onnx"));
                OnnxTensor px = floats(pixels, IMAGES, 3, 64, 64)) {
            float[][] pooled = run2d(vision, Map.of("pixel_values", px), "pooler_output");
            assertThat(pooled).hasDimensions(IMAGES, D);
            assertThat(allFinite(pooled)).isTrue();
            double max = -1;
            for (int i = 0; i < IMAGES; i++) {
                for (int j = i + 1; j < IMAGES; j++) max = Math.max(max, cosine(pooled[i], pooled[j]));
            }
            System.out.printf("tiny vision: max cosine between different images' pooler outputs %.4f%n", max);
            assertThat(max).isLessThan(0.999);
        }
    }

    @Test
    void textEmbeddingsDifferPerText() throws Exception {
        try (OrtSession text = OnnxFiles.open(onnx("text_model.onnx")); OnnxTensor ids = longs(inputIds, TEXTS, 64)) {
            float[][] pooled = run2d(text, Map.of("input_ids", ids), "pooler_output");
            assertThat(pooled).hasDimensions(TEXTS, D);
            assertThat(allFinite(pooled)).isTrue();
            double max = -1;
            double sum = 0;
            int pairs = 0;
            for (int i = 0; i < TEXTS; i++) {
                for (int j = i + 1; j < TEXTS; j++) {
                    double c = cosine(pooled[i], pooled[j]);
                    if (Arrays.equals(row(inputIds, i), row(inputIds, j))) {
                        assertThat(c).isCloseTo(1.0, within(1e-5)); // e.g. "" and "!!!???..."
                        continue;
                    }
                    max = Math.max(max, c);
                    sum += c;
                    pairs++;
                }
            }
            System.out.printf("tiny text: cosine between different texts' pooler outputs: mean %.4f, max %.4f%n",
                    sum / pairs, max);
            assertThat(max).isLessThan(0.99);
        }
    }

    private static long[] row(long[] ids, int i) {
        return Arrays.copyOfRange(ids, i * 64, (i + 1) * 64);
    }

    @Test
    void combinedModelIsConsistentWithTheSplitTowers() throws Exception {
        try (OrtSession model = OnnxFiles.open(onnx("model.onnx"));
                OrtSession vision = OnnxFiles.open(onnx("vision_model.onnx"));
                OrtSession text = OnnxFiles.open(onnx("text_model.onnx"));
                OnnxTensor px = floats(pixels, IMAGES, 3, 64, 64);
                OnnxTensor ids = longs(inputIds, TEXTS, 64);
                OrtSession.Result r = model.run(Map.of("pixel_values", px, "input_ids", ids))) {
            float[][] perImage = (float[][]) r.get("logits_per_image").orElseThrow().getValue();
            float[][] perText = (float[][]) r.get("logits_per_text").orElseThrow().getValue();
            float[][] imageEmbeds = (float[][]) r.get("image_embeds").orElseThrow().getValue();
            float[][] textEmbeds = (float[][]) r.get("text_embeds").orElseThrow().getValue();
            assertThat(perImage).hasDimensions(IMAGES, TEXTS);
            assertThat(perText).hasDimensions(TEXTS, IMAGES);

            double scale = Math.exp(SynthModel.LOGIT_SCALE);
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (int i = 0; i < IMAGES; i++) {
                for (int j = 0; j < TEXTS; j++) {
                    double dot = 0;
                    for (int k = 0; k < D; k++) dot += (double) imageEmbeds[i][k] * textEmbeds[j][k];
                    assertThat((double) perImage[i][j]).isCloseTo(scale * dot + SynthModel.LOGIT_BIAS, within(1e-4));
                    assertThat(perText[j][i]).isEqualTo(perImage[i][j]);
                    min = Math.min(min, perImage[i][j]);
                    max = Math.max(max, perImage[i][j]);
                }
            }
            System.out.printf("tiny logits_per_image range [%.3f, %.3f]%n", min, max);

            float[][] visionPooled = run2d(vision, Map.of("pixel_values", px), "pooler_output");
            float[][] textPooled = run2d(text, Map.of("input_ids", ids), "pooler_output");
            for (int i = 0; i < IMAGES; i++) {
                assertThat(normalize(visionPooled[i])).containsExactly(imageEmbeds[i], within(1e-5f));
            }
            for (int j = 0; j < TEXTS; j++) {
                assertThat(normalize(textPooled[j])).containsExactly(textEmbeds[j], within(1e-5f));
            }
        }
    }

    @Test
    void quantizedAndFp16VisionModelsStayCloseToFp32() throws Exception {
        try (OrtSession fp32 = OnnxFiles.open(onnx("vision_model.onnx"));
                OrtSession int8 = OnnxFiles.open(onnx("vision_model_quantized.onnx"));
                // ONNX Runtime 1.24.1 on CPU fails to create a session for the fp16 graphs at ALL (its default):
                // "Attempting to get index by a name which does not exist: InsertedPrecisionFreeCast_…"
                OrtSession fp16 = OnnxFiles.open(onnx("vision_model_fp16.onnx"), OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
                OnnxTensor px = floats(pixels, IMAGES, 3, 64, 64)) {
            Map<String, OnnxTensor> in = Map.of("pixel_values", px);
            float[][] reference = run2d(fp32, in, "pooler_output");
            float[][] quantized = run2d(int8, in, "pooler_output");
            float[][] half = run2d(fp16, in, "pooler_output");
            assertThat(allFinite(quantized)).isTrue();
            assertThat(allFinite(half)).isTrue();
            double minInt8 = 1;
            double minFp16 = 1;
            for (int i = 0; i < IMAGES; i++) {
                minInt8 = Math.min(minInt8, cosine(reference[i], quantized[i]));
                minFp16 = Math.min(minFp16, cosine(reference[i], half[i]));
            }
            System.out.printf("tiny vision vs fp32, min cosine over %d images: int8 %.5f, fp16 %.6f%n",
                    IMAGES, minInt8, minFp16);
            assertThat(minInt8).isGreaterThan(0.995);
            assertThat(minFp16).isGreaterThan(0.999);
        }
    }

    @Test
    void quantizedAndFp16TextModelsStayCloseToFp32() throws Exception {
        try (OrtSession fp32 = OnnxFiles.open(onnx("text_model.onnx"));
                OrtSession int8 = OnnxFiles.open(onnx("text_model_quantized.onnx"));
                OrtSession fp16 = OnnxFiles.open(onnx("text_model_fp16.onnx"), OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
                OnnxTensor ids = longs(inputIds, TEXTS, 64)) {
            Map<String, OnnxTensor> in = Map.of("input_ids", ids);
            float[][] reference = run2d(fp32, in, "pooler_output");
            float[][] quantized = run2d(int8, in, "pooler_output");
            float[][] half = run2d(fp16, in, "pooler_output");
            double minInt8 = 1;
            double minFp16 = 1;
            for (int i = 0; i < TEXTS; i++) {
                minInt8 = Math.min(minInt8, cosine(reference[i], quantized[i]));
                minFp16 = Math.min(minFp16, cosine(reference[i], half[i]));
            }
            System.out.printf("tiny text vs fp32, min cosine over %d texts: int8 %.5f, fp16 %.6f%n",
                    TEXTS, minInt8, minFp16);
            assertThat(minInt8).isGreaterThan(0.99);
            assertThat(minFp16).isGreaterThan(0.999);
        }
    }

    @Test
    void theLibraryLoadsTheFolderAndReadsBackScaleAndBias() {
        // default options (optimisation ALL): fp16 on CPU must still load (the factory stops at EXTENDED)
        for (ModelVariant variant : List.of(ModelVariant.FP32, ModelVariant.QUANTIZED, ModelVariant.FP16)) {
            OnnxOptions options = OnnxOptions.builder().variant(variant).intraOpThreads(1).build();
            try (SiglipModel model = SiglipModel.load(dir, options)) {
                assertThat(model.logitScale()).as(variant.name())
                        .isCloseTo((float) Math.exp(SynthModel.LOGIT_SCALE), within(1e-3f));
                assertThat(model.logitBias()).as(variant.name()).isCloseTo(SynthModel.LOGIT_BIAS, within(1e-3f));
                assertThat(model.embeddingDim()).isEqualTo(D);
                float[][] texts = model.textEmbeddings(List.of("a photo of a cat", "a red car"));
                assertThat(cosine(texts[0], texts[0])).isCloseTo(1.0, within(1e-5));
                assertThat(cosine(texts[0], texts[1])).as(variant.name()).isLessThan(0.99);
            }
        }
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherWeights(@TempDir Path again, @TempDir Path other) throws Exception {
        SynthModel.write(SynthModel.Preset.TINY, again, 0);
        SynthModel.write(SynthModel.Preset.TINY, other, 7);
        for (String f : List.of("vision_model.onnx", "text_model.onnx", "model.onnx", "vision_model_fp16.onnx",
                "vision_model_quantized.onnx", "text_model_fp16.onnx", "text_model_quantized.onnx")) {
            byte[] first = Files.readAllBytes(onnx(f));
            assertThat(Files.readAllBytes(again.resolve("onnx").resolve(f))).as(f).isEqualTo(first);
            byte[] reseeded = Files.readAllBytes(other.resolve("onnx").resolve(f));
            assertThat(reseeded).as(f).hasSameSizeAs(first).isNotEqualTo(first);
        }
    }
}
