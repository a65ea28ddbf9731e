package dev.siglipstream.siglip.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A SigLIP checkpoint's {@code config.json}: both towers, and for {@code SiglipForImageClassification}
 * checkpoints the class labels. Omitted keys take transformers' defaults, as {@code from_pretrained}
 * does (Hub configs store only the values that differ from them).
 *
 * <pre>{@code
 * SiglipConfig config = SiglipConfig.load(modelDir.resolve("config.json"));
 * int textLength = config.textConfig().maxPositionEmbeddings();
 * }</pre>
 */
public record SiglipConfig(
        String modelType,
        List<String> architectures,
        SiglipTextConfig textConfig,
        SiglipVisionConfig visionConfig,
        Map<Integer, String> id2label,
        String problemType) {

    public SiglipConfig {
        architectures = List.copyOf(architectures);
        id2label = Map.copyOf(id2label);
    }

    /** Reads {@code config.json}; errors name the file and the field. */
    public static SiglipConfig load(Path configJson) {
        if (!java.nio.file.Files.exists(configJson)) {
            throw new ConfigException(notAModelFolder(configJson));
        }
        JsonFields f = JsonFields.read(configJson);
        String modelType = f.getString("model_type", "siglip");
        List<String> architectures = f.getStrings("architectures");
        Map<Integer, String> id2label = f.getIntKeyedStrings("id2label");
        if (id2label.isEmpty() && f.has("num_labels")) {
            int n = f.getInt("num_labels", 0, 1);
            id2label = new java.util.LinkedHashMap<>();
            for (int i = 0; i < n; i++) id2label.put(i, "LABEL_" + i);
        }
        return new SiglipConfig(
                modelType,
                architectures,
                SiglipTextConfig.from(f.object("text_config")),
                SiglipVisionConfig.from(f.object("vision_config")),
                id2label,
                f.getString("problem_type", null));
    }

    /** What a SigLIP model folder holds and how to get one, for a folder that lacks {@code config.json}. */
    static String notAModelFolder(Path configJson) {
        Path folder = configJson.toAbsolutePath().getParent();
        return folder + " is not a SigLIP model folder: it has no " + configJson.getFileName() + ". A model folder in the "
                + "Hugging Face layout holds config.json, preprocessor_config.json, the tokenizer (spiece.model, "
                + "tokenizer_config.json, special_tokens_map.json) and an ONNX export (onnx/vision_model.onnx and "
                + "onnx/text_model.onnx, or onnx/model.onnx). Get one with `siglip download Xenova/siglip-base-patch16-224` "
                + "(or give that repo id instead of a folder), or write a random-weight one for tests with "
                + "`siglip synth-model --preset tiny --out DIR`";
    }

    /** True for a {@code SiglipForImageClassification} checkpoint (a trained head with fixed labels). */
    public boolean isImageClassifier() {
        return architectures.contains("SiglipForImageClassification");
    }

    /**
     * Whether a classifier's scores are independent sigmoids (as transformers' image-classification
     * pipeline decides: {@code problem_type} multi-label, or a single label) rather than a softmax.
     */
    public boolean classifierUsesSigmoid() {
        return "multi_label_classification".equals(problemType) || id2label.size() == 1;
    }

    /** The class labels in id order (id2label must be dense 0..n-1). */
    public List<String> labels() {
        String[] out = new String[id2label.size()];
        for (Map.Entry<Integer, String> e : id2label.entrySet()) {
            if (e.getKey() < 0 || e.getKey() >= out.length) {
                throw new ConfigException("config.json: id2label ids must be 0.." + (out.length - 1)
                        + ", got " + e.getKey());
            }
            out[e.getKey()] = e.getValue();
        }
        return List.of(out);
    }
}
