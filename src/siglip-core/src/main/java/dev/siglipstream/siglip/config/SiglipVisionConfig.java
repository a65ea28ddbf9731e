package dev.siglipstream.siglip.config;

/**
 * The vision tower's configuration ({@code vision_config} of {@code config.json}); omitted keys take
 * transformers' {@code SiglipVisionConfig} defaults.
 */
public record SiglipVisionConfig(
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numChannels,
        int imageSize,
        int patchSize,
        String hiddenAct,
        double layerNormEps) {

    /** transformers' defaults (the base/16-224 architecture). */
    public static SiglipVisionConfig defaults() {
        return new SiglipVisionConfig(768, 3072, 12, 12, 3, 224, 16, "gelu_pytorch_tanh", 1e-6);
    }

    /** Patches per image side times itself: the vision sequence length. */
    public int numPatches() {
        return (imageSize / patchSize) * (imageSize / patchSize);
    }

    static SiglipVisionConfig from(JsonFields f) {
        SiglipVisionConfig d = defaults();
        SiglipVisionConfig c = new SiglipVisionConfig(
                f.getInt("hidden_size", d.hiddenSize, 1),
                f.getInt("intermediate_size", d.intermediateSize, 1),
                f.getInt("num_hidden_layers", d.numHiddenLayers, 1),
                f.getInt("num_attention_heads", d.numAttentionHeads, 1),
                f.getInt("num_channels", d.numChannels, 1),
                f.getInt("image_size", d.imageSize, 1),
                f.getInt("patch_size", d.patchSize, 1),
                f.getString("hidden_act", d.hiddenAct),
                f.getDouble("layer_norm_eps", d.layerNormEps));
        if (c.imageSize % c.patchSize != 0) {
            throw new ConfigException(f.file() + ": field '" + f.path("image_size") + "' (" + c.imageSize
                    + ") must be a multiple of '" + f.path("patch_size") + "' (" + c.patchSize + ")");
        }
        return c;
    }
}
