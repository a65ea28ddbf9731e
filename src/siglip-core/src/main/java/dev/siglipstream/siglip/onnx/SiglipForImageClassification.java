package dev.siglipstream.siglip.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.siglipstream.siglip.config.ConfigException;
import dev.siglipstream.siglip.config.SiglipConfig;
import dev.siglipstream.siglip.image.ImageDecodeException;
import dev.siglipstream.siglip.image.ImageDecoder;
import dev.siglipstream.siglip.image.ImageProcessorConfig;
import dev.siglipstream.siglip.image.PixelBatch;
import dev.siglipstream.siglip.image.SiglipImageProcessor;
import dev.siglipstream.siglip.scoring.LabelScore;
import dev.siglipstream.siglip.scoring.Scoring;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@code SiglipForImageClassification} checkpoint: the vision tower plus a trained linear head
 * ({@code onnx/model.onnx}: {@code pixel_values} → {@code logits [B, num_labels]}), labels from
 * {@code id2label}. Scores follow transformers' image-classification pipeline: softmax for
 * single-label checkpoints, sigmoid for multi-label ones. Owns its graph; thread-safe.
 */
public final class SiglipForImageClassification implements AutoCloseable {
    private final SiglipConfig config;
    private final SiglipImageProcessor imageProcessor;
    private final OnnxGraph graph;
    private final OnnxJavaType inputType;
    private final List<String> labels;

    private SiglipForImageClassification(SiglipConfig config, SiglipImageProcessor processor, OnnxGraph graph) {
        this.config = config;
        this.imageProcessor = processor;
        this.graph = graph;
        this.inputType = Tensors.inputType(graph, "pixel_values");
        this.labels = config.labels();
    }

    /** Whether {@code folder}'s config.json names {@code SiglipForImageClassification}. */
    public static boolean isClassifier(Path folder) {
        Path config = folder.resolve("config.json");
        return Files.isRegularFile(config) && SiglipConfig.load(config).isImageClassifier();
    }

    public static SiglipForImageClassification load(Path folder, OnnxOptions options) {
        SiglipConfig config = SiglipConfig.load(folder.resolve("config.json"));
        if (config.id2label().isEmpty()) {
            throw new ConfigException(folder.resolve("config.json") + ": field 'id2label' is missing; a classifier needs its labels");
        }
        Path preprocessor = folder.resolve("preprocessor_config.json");
        int size = config.visionConfig().imageSize();
        ImageProcessorConfig ipc = Files.isRegularFile(preprocessor)
                ? ImageProcessorConfig.load(preprocessor)
                : ImageProcessorConfig.defaults().withSize(size, size);
        OnnxGraph graph = OnnxGraph.open(folder.resolve(options.variant().file("model")), options);
        try {
            graph.requireInputs("pixel_values").requireNoOtherInputs(Set.of("pixel_values")).requireOutputs("logits");
            return new SiglipForImageClassification(config, new SiglipImageProcessor(ipc, ImageDecoder.DEFAULT_MAX_PIXELS), graph);
        } catch (RuntimeException e) {
            graph.close();
            throw e;
        }
    }

    /** Raw logits [count, num_labels] of preprocessed images. */
    public float[][] logits(FloatBuffer pixelValues, int count) {
        int h = imageProcessor.height();
        int w = imageProcessor.width();
        try (OnnxTensor pixels = Tensors.floats(pixelValues, new long[] {count, 3, h, w}, inputType);
                OrtSession.Result r = graph.run(Map.of("pixel_values", pixels), Set.of("logits"))) {
            float[][] logits = Tensors.matrix(r, "logits");
            if (logits.length > 0 && logits[0].length != labels.size()) {
                throw new OnnxModelException(graph.file() + ": logits have " + logits[0].length + " classes, config.json's "
                        + "id2label has " + labels.size());
            }
            return logits;
        } catch (OrtException e) {
            throw new OnnxModelException(graph.file() + " failed on a batch of " + count + ": " + e.getMessage(), e);
        }
    }

    /** Scores every label for each image, sorted descending; {@code topK}/{@code threshold} null keep all. */
    public List<List<LabelScore>> classify(List<byte[]> images, Integer topK, Float threshold) throws ImageDecodeException {
        PixelBatch batch = imageProcessor.preprocess(images);
        float[][] logits = logits(batch.values(), batch.count());
        List<List<LabelScore>> out = new ArrayList<>(logits.length);
        for (float[] row : logits) out.add(score(row, topK, threshold));
        return out;
    }

    /** One image's logits as the pipeline scores them: softmax (single-label) or sigmoid (multi-label). */
    public List<LabelScore> score(float[] logits, Integer topK, Float threshold) {
        float[] scores;
        if (config.classifierUsesSigmoid()) {
            scores = new float[logits.length];
            for (int i = 0; i < logits.length; i++) scores[i] = Scoring.sigmoid(logits[i]);
        } else {
            scores = Scoring.softmax(logits);
        }
        List<LabelScore> ranked = Scoring.rank(scores, labels, topK);
        return threshold == null ? ranked : ranked.stream().filter(s -> s.score() >= threshold).toList();
    }

    public List<String> labels() {
        return labels;
    }

    public SiglipConfig config() {
        return config;
    }

    public SiglipImageProcessor imageProcessor() {
        return imageProcessor;
    }

    @Override
    public void close() {
        graph.close();
    }
}
