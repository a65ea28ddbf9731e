package dev.siglipstream.siglip.onnx;

/**
 * What {@link SiglipModel#forward} returns, named as transformers names them.
 *
 * @param imageEmbeds L2-normalised image embeddings [images, dim]
 * @param textEmbeds L2-normalised text embeddings [texts, dim]
 * @param logitsPerImage {@code exp(logit_scale)·cos + logit_bias} [images, texts]
 * @param logitsPerText the transpose [texts, images]
 * @param probsPerImage element-wise sigmoid of {@code logitsPerImage}
 */
public record SiglipOutput(
        float[][] imageEmbeds, float[][] textEmbeds, float[][] logitsPerImage, float[][] logitsPerText,
        float[][] probsPerImage) {}
