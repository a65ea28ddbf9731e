package dev.siglipstream.siglip.config;

/**
 * The text tower's configuration ({@code text_config} of {@code config.json}); omitted keys take
 * transformers' {@code SiglipTextConfig} defaults.
 */
public record SiglipTextConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int maxPositionEmbeddings,
        String hiddenAct,
        double layerNormEps,
        int padTokenId,
        int bosTokenId,
        int eosTokenId) {

    /** transformers' defaults (the base/16-224 architecture). */
    public static SiglipTextConfig defaults() {
        return new SiglipTextConfig(32000, 768, 3072, 12, 12, 64, "gelu_pytorch_tanh", 1e-6, 1, 49406, 49407);
    }

    static SiglipTextConfig from(JsonFields f) {
        SiglipTextConfig d = defaults();
        return new SiglipTextConfig(
                f.getInt("vocab_size", d.vocabSize, 1),
                f.getInt("hidden_size", d.hiddenSize, 1),
                f.getInt("intermediate_size", d.intermediateSize, 1),
                f.getInt("num_hidden_layers", d.numHiddenLayers, 1),
                f.getInt("num_attention_heads", d.numAttentionHeads, 1),
                f.getInt("max_position_embeddings", d.maxPositionEmbeddings, 1),
                f.getString("hidden_act", d.hiddenAct),
                f.getDouble("layer_norm_eps", d.layerNormEps),
                f.getInt("pad_token_id", d.padTokenId),
                f.getInt("bos_token_id", d.bosTokenId),
                f.getInt("eos_token_id", d.eosTokenId));
    }
}
