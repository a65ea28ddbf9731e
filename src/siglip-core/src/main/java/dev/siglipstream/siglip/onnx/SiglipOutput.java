package dev.siglipstream.siglip.onnx;

import dev.siglipstream.siglip.scoring.Scoring;

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
        float[][] probsPerImage) {

    /** The outputs for already normalised embeddings: one logits product, its transpose and the sigmoids. */
    public static SiglipOutput of(float[][] imageEmbeds, float[][] textEmbeds, float logitScale, float logitBias) {
        float[][] logitsPerImage = Scoring.logits(imageEmbeds, textEmbeds, logitScale, logitBias);
        float[][] logitsPerText = new float[textEmbeds.length][imageEmbeds.length];
        float[][] probs = new float[imageEmbeds.length][textEmbeds.length];
        for (int i = 0; i < imageEmbeds.length; i++) {
            for (int t = 0; t < textEmbeds.length; t++) {
                logitsPerText[t][i] = logitsPerImage[i][t];
                probs[i][t] = Scoring.sigmoid(logitsPerImage[i][t]);
            }
        }
        return new SiglipOutput(imageEmbeds, textEmbeds, logitsPerImage, logitsPerText, probs);
    }
}
