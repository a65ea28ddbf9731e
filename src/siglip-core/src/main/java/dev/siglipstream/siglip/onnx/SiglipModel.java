package dev.siglipstream.siglip.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.siglipstream.siglip.config.ConfigException;
import dev.siglipstream.siglip.config.SiglipConfig;
import dev.siglipstream.siglip.image.ImageDecoder;
import dev.siglipstream.siglip.image.ImageProcessorConfig;
import dev.siglipstream.siglip.image.SiglipImageProcessor;
import dev.siglipstream.siglip.scoring.Scoring;
import dev.siglipstream.siglip.text.SiglipTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A SigLIP checkpoint loaded from a model folder in the Hugging Face layout: config, tokenizer, image
 * processor and the ONNX towers, with transformers' {@code SiglipModel} semantics — L2-normalised
 * embeddings, {@code logits = exp(logit_scale) · cos + logit_bias}, sigmoid probabilities.
 *
 * <p>Split towers ({@code onnx/vision_model.onnx}, {@code onnx/text_model.onnx}) are preferred so
 * each image runs only the vision tower. They carry no scale and bias: those are read off the
 * combined {@code onnx/model.onnx} by running it once on one image and several texts and solving
 * {@code logit = s·cos + b}; without a combined graph they must come from
 * {@link OnnxOptions#logitScale()}/{@link OnnxOptions#logitBias()}. A folder with only the combined
 * graph also works (each tower is then run through it with a one-row dummy for the other input).
 *
 * <p>Owns every session and the tokenizer; {@link #close()} frees them. Thread-safe.
 *
 * <pre>{@code
 * try (SiglipModel model = SiglipModel.load(dir, OnnxOptions.defaults())) {
 *     float[][] text = model.textEmbeddings(List.of("This is a photo of a cat."));
 *     PixelBatch pixels = model.imageProcessor().preprocess(List.of(jpegBytes));
 *     float[][] image = model.imageEmbeddings(pixels.values(), pixels.count());
 *     float[][] probs = Scoring.probabilities(image, text, model.logitScale(), model.logitBias());
 * }
 * }</pre>
 */
public final class SiglipModel implements AutoCloseable {
    /** Texts used to read scale and bias off the combined graph: varied, so their cosines differ. */
    private static final List<String> CALIBRATION_TEXTS = List.of(
            "a photo of a cat", "a dog", "", "a red car on a street", "tree", "two people playing football",
            "this is a photo of a building", "blue sky");

    private final Path folder;
    private final SiglipConfig config;
    private final SiglipTokenizer tokenizer;
    private final SiglipImageProcessor imageProcessor;
    private final SiglipVisionModel vision;
    private final SiglipTextModel text;
    private final OnnxGraph combined;
    private final float logitScale;
    private final float logitBias;
    private int embeddingDim;

    private SiglipModel(Path folder, SiglipConfig config, SiglipTokenizer tokenizer,
            SiglipImageProcessor imageProcessor, SiglipVisionModel vision, SiglipTextModel text,
            OnnxGraph combined, float logitScale, float logitBias) {
        this.folder = folder;
        this.config = config;
        this.tokenizer = tokenizer;
        this.imageProcessor = imageProcessor;
        this.vision = vision;
        this.text = text;
        this.combined = combined;
        this.logitScale = logitScale;
        this.logitBias = logitBias;
    }

    /** Loads with the default image pixel limit. */
    public static SiglipModel load(Path folder, OnnxOptions options) {
        return load(folder, options, ImageDecoder.DEFAULT_MAX_PIXELS);
    }

    /** Loads a model folder; {@code maxPixels} bounds decoded images (decompression bombs). */
    public static SiglipModel load(Path folder, OnnxOptions options, long maxPixels) {
        if (!Files.isDirectory(folder)) {
            throw new ConfigException("model folder not found: " + folder);
        }
        SiglipConfig config = SiglipConfig.load(folder.resolve("config.json"));
        Path visionFile = folder.resolve(options.variant().file("vision_model"));
        Path textFile = folder.resolve(options.variant().file("text_model"));
        Path variantCombined = existing(folder.resolve(options.variant().file("model")));
        boolean split = Files.isRegularFile(visionFile) && Files.isRegularFile(textFile);
        if (!split && variantCombined == null) {
            throw new OnnxModelException(folder + ": no ONNX graphs for variant " + options.variant()
                    + ": expected " + options.variant().file("vision_model") + " and "
                    + options.variant().file("text_model") + ", or " + options.variant().file("model"));
        }
        // scale and bias are read off the fp32 combined graph when there is one (the most exact source)
        Path calibrationFile = options.logitScale() != null ? null
                : existing(folder.resolve(ModelVariant.FP32.file("model")), variantCombined);
        if (options.logitScale() == null && calibrationFile == null) {
            throw new OnnxModelException(folder + ": the split towers carry no logit scale/bias and there is "
                    + "no onnx/model.onnx to read them from; pass them as options (logitScale = "
                    + "exp(logit_scale), logitBias)");
        }
        SiglipTokenizer tokenizer = null;
        SiglipVisionModel vision = null;
        SiglipTextModel text = null;
        OnnxGraph combined = null;
        try {
            tokenizer = SiglipTokenizer.load(folder, config.textConfig().maxPositionEmbeddings());
            SiglipImageProcessor processor = new SiglipImageProcessor(imageProcessorConfig(folder, config), maxPixels);
            int imageSize = processor.height();
            if (processor.height() != processor.width()) {
                throw new ConfigException(folder + ": preprocessor size " + processor.height() + "x" + processor.width()
                        + " is not square; SigLIP towers take square images");
            }
            if (split) {
                vision = SiglipVisionModel.load(visionFile, imageSize, options);
                text = SiglipTextModel.load(textFile, tokenizer.padId(), tokenizer.eosId(), options);
            } else {
                combined = openCombined(variantCombined, options);
            }
            float scale;
            float bias;
            if (options.logitScale() != null) {
                scale = options.logitScale();
                bias = options.logitBias();
            } else if (combined != null && calibrationFile.equals(variantCombined)) {
                float[] sb = readScaleAndBias(combined, tokenizer, imageSize);
                scale = sb[0];
                bias = sb[1];
            } else {
                try (OnnxGraph calibration = openCombined(calibrationFile, options)) {
                    float[] sb = readScaleAndBias(calibration, tokenizer, imageSize);
                    scale = sb[0];
                    bias = sb[1];
                }
            }
            SiglipModel model = new SiglipModel(folder, config, tokenizer, processor, vision, text, combined,
                    scale, bias);
            // the graphs declare the width symbolically in some exports; one tiny run tells it for sure
            model.embeddingDim = model.getTextFeatures(tokenizer.encode(List.of("")))[0].length;
            return model;
        } catch (RuntimeException | IOException e) {
            if (combined != null) combined.close();
            if (vision != null) vision.close();
            if (text != null) text.close();
            if (tokenizer != null) tokenizer.close();
            if (e instanceof IOException io) throw new UncheckedIOException(folder + ": " + io.getMessage(), io);
            throw (RuntimeException) e;
        }
    }

    /** The first of {@code candidates} that is a file, or null. */
    private static Path existing(Path... candidates) {
        for (Path p : candidates) {
            if (p != null && Files.isRegularFile(p)) return p;
        }
        return null;
    }

    private static OnnxGraph openCombined(Path file, OnnxOptions options) {
        OnnxGraph graph = OnnxGraph.open(file, options);
        try {
            return graph.requireInputs("input_ids", "pixel_values")
                    .requireOutputs("logits_per_image", "image_embeds", "text_embeds");
        } catch (RuntimeException e) {
            graph.close();
            throw e;
        }
    }

    private static ImageProcessorConfig imageProcessorConfig(Path folder, SiglipConfig config) {
        Path file = folder.resolve("preprocessor_config.json");
        if (Files.isRegularFile(file)) return ImageProcessorConfig.load(file);
        int size = config.visionConfig().imageSize();
        return ImageProcessorConfig.defaults().withSize(size, size);
    }

    /**
     * Runs the combined graph on one image and several texts and fits {@code logit = s·cos + b} by
     * least squares over the returned embeddings and logits (exact up to float rounding).
     */
    private static float[] readScaleAndBias(OnnxGraph combined, SiglipTokenizer tokenizer, int imageSize) {
        long[][] ids = tokenizer.encode(CALIBRATION_TEXTS);
        FloatBuffer pixels = SiglipImageProcessor.allocate(1, imageSize, imageSize);
        for (int i = 0; i < pixels.capacity(); i++) {
            pixels.put(i, (float) Math.sin(i * 0.01)); // any non-constant image works
        }
        try (OnnxTensor idsTensor = Tensors.longs(ids);
                OnnxTensor pixelTensor = Tensors.floats(pixels, new long[] {1, 3, imageSize, imageSize},
                        Tensors.inputType(combined, "pixel_values"));
                OrtSession.Result r = combined.run(Map.of("input_ids", idsTensor, "pixel_values", pixelTensor),
                        Set.of("logits_per_image", "image_embeds", "text_embeds"))) {
            float[] logits = Tensors.matrix(r, "logits_per_image")[0];
            float[] image = Tensors.matrix(r, "image_embeds")[0];
            float[][] texts = Tensors.matrix(r, "text_embeds");
            int n = texts.length;
            double[] cos = new double[n];
            double meanC = 0;
            double meanL = 0;
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < image.length; k++) cos[j] += (double) image[k] * texts[j][k];
                meanC += cos[j] / n;
                meanL += (double) logits[j] / n;
            }
            double sxy = 0;
            double sxx = 0;
            for (int j = 0; j < n; j++) {
                sxy += (cos[j] - meanC) * (logits[j] - meanL);
                sxx += (cos[j] - meanC) * (cos[j] - meanC);
            }
            if (sxx < 1e-10) {
                throw new OnnxModelException(combined.file() + ": cannot read logit scale/bias off the graph (all "
                        + "calibration texts embed alike); pass them as options");
            }
            double scale = sxy / sxx;
            double bias = meanL - scale * meanC;
            return new float[] {(float) scale, (float) bias};
        } catch (OrtException e) {
            throw new OnnxModelException(combined.file() + ": reading logit scale/bias failed: " + e.getMessage(), e);
        }
    }

    /**
     * transformers' {@code SiglipModel.forward}: both towers, then logits both ways and sigmoid
     * probabilities per image.
     */
    public SiglipOutput forward(FloatBuffer pixelValues, int count, List<String> texts) {
        return SiglipOutput.of(imageEmbeddings(pixelValues, count), textEmbeddings(texts), logitScale, logitBias);
    }

    /** Unnormalised vision pooler outputs (transformers' {@code get_image_features}). */
    public float[][] getImageFeatures(FloatBuffer pixelValues, int count) {
        if (vision != null) return vision.poolerOutput(pixelValues, count);
        // combined-only folder: the graph normalises internally, so its image_embeds are the best we have
        return runCombined(null, pixelValues, count, "image_embeds");
    }

    /** Unnormalised text pooler outputs (transformers' {@code get_text_features}) of tokenised rows. */
    public float[][] getTextFeatures(long[][] inputIds) {
        if (text != null) return text.poolerOutput(inputIds);
        return runCombined(inputIds, null, 0, "text_embeds");
    }

    /** L2-normalised image embeddings of {@code count} preprocessed images. */
    public float[][] imageEmbeddings(FloatBuffer pixelValues, int count) {
        return Scoring.normalize(getImageFeatures(pixelValues, count));
    }

    /** L2-normalised text embeddings of raw texts (tokenised, padded to max length). */
    public float[][] textEmbeddings(List<String> texts) {
        if (texts.isEmpty()) return new float[0][];
        return Scoring.normalize(getTextFeatures(tokenizer.encode(texts)));
    }

    /** L2-normalised text embeddings of tokenised rows. */
    public float[][] textEmbeddings(long[][] inputIds) {
        if (inputIds.length == 0) return new float[0][];
        return Scoring.normalize(getTextFeatures(inputIds));
    }

    private float[][] runCombined(long[][] ids, FloatBuffer pixels, int count, String output) {
        int size = imageProcessor.height();
        long[][] textIds = ids != null ? ids : tokenizer.encode(List.of(""));
        FloatBuffer image = pixels != null ? pixels : SiglipImageProcessor.allocate(1, size, size);
        int images = pixels != null ? count : 1;
        try (OnnxTensor idsTensor = Tensors.longs(textIds);
                OnnxTensor pixelTensor = Tensors.floats(image, new long[] {images, 3, size, size},
                        Tensors.inputType(combined, "pixel_values"));
                OrtSession.Result r = combined.run(Map.of("input_ids", idsTensor, "pixel_values", pixelTensor),
                        Set.of(output))) {
            return Tensors.matrix(r, output);
        } catch (OrtException e) {
            throw new OnnxModelException(combined.file() + " failed: " + e.getMessage(), e);
        }
    }

    public SiglipConfig config() {
        return config;
    }

    public SiglipTokenizer tokenizer() {
        return tokenizer;
    }

    public SiglipImageProcessor imageProcessor() {
        return imageProcessor;
    }

    /** exp(logit_scale): the multiplier of cosine similarity. */
    public float logitScale() {
        return logitScale;
    }

    public float logitBias() {
        return logitBias;
    }

    public int embeddingDim() {
        return embeddingDim;
    }

    public Path folder() {
        return folder;
    }

    /** The provider the graphs actually run on (CPU after an allowed fallback). */
    public ExecutionProvider provider() {
        return vision != null ? vision.provider() : combined.provider();
    }

    /** True when a GPU provider was asked for, could not load, and CPU fallback was allowed. */
    public boolean fellBackToCpu() {
        return vision != null ? vision.fellBackToCpu() : combined.fellBackToCpu();
    }

    @Override
    public void close() {
        if (vision != null) vision.close();
        if (text != null) text.close();
        if (combined != null) combined.close();
        tokenizer.close();
    }
}
