package dev.siglipstream.siglip.pipeline;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * SigLIP's scoring, as transformers computes it: L2-normalised embeddings,
 * {@code logits = exp(logit_scale) · image·text + logit_bias}, and an independent sigmoid per
 * (image, label) pair — never a softmax across labels.
 */
public final class Scoring {
    private Scoring() {}

    /** Each row divided by its L2 norm (rows of zeros stay zero). */
    public static float[][] normalize(float[][] rows) {
        float[][] out = new float[rows.length][];
        for (int r = 0; r < rows.length; r++) {
            float[] row = rows[r];
            double sum = 0;
            for (float v : row) sum += (double) v * v;
            float norm = (float) Math.sqrt(sum);
            float[] o = new float[row.length];
            if (norm > 0f) {
                for (int i = 0; i < row.length; i++) o[i] = row[i] / norm;
            }
            out[r] = o;
        }
        return out;
    }

    /** {@code logits_per_image} [images, texts] from normalised embeddings: one matrix product. */
    public static float[][] logits(float[][] imageEmbeds, float[][] textEmbeds, float logitScale, float logitBias) {
        int dim = textEmbeds.length > 0 ? textEmbeds[0].length : 0;
        float[][] out = new float[imageEmbeds.length][textEmbeds.length];
        for (int i = 0; i < imageEmbeds.length; i++) {
            float[] img = imageEmbeds[i];
            if (textEmbeds.length > 0 && img.length != dim) {
                throw new IllegalArgumentException("image embedding has " + img.length + " dims, text embeddings have " + dim);
            }
            float[] row = out[i];
            for (int t = 0; t < textEmbeds.length; t++) {
                float[] txt = textEmbeds[t];
                float dot = 0f;
                for (int k = 0; k < dim; k++) dot += img[k] * txt[k];
                row[t] = dot * logitScale + logitBias;
            }
        }
        return out;
    }

    /** Element-wise sigmoid probabilities [images, texts] (transformers' {@code probs_per_image}). */
    public static float[][] probabilities(float[][] imageEmbeds, float[][] textEmbeds, float logitScale, float logitBias) {
        float[][] l = logits(imageEmbeds, textEmbeds, logitScale, logitBias);
        for (float[] row : l) {
            for (int j = 0; j < row.length; j++) row[j] = sigmoid(row[j]);
        }
        return l;
    }

    /**
     * Sigmoid in float32 arithmetic, as torch computes it: saturating to exactly 1.0 at the same
     * logits keeps ties (and so the stable ranking) the same as the reference.
     */
    public static float sigmoid(float x) {
        float e = (float) Math.exp(-x);
        return 1f / (1f + e);
    }

    /** Softmax over one row (for classifier checkpoints whose problem type is single-label). */
    public static float[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double sum = 0;
        double[] e = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            e[i] = Math.exp(logits[i] - max);
            sum += e[i];
        }
        float[] out = new float[logits.length];
        for (int i = 0; i < logits.length; i++) out[i] = (float) (e[i] / sum);
        return out;
    }

    /**
     * Labels with their scores, sorted by descending score; ties keep label order (a stable sort, as
     * the pipeline's). {@code topK} null or ≤ 0 keeps all.
     */
    public static List<LabelScore> rank(float[] scores, List<String> labels, Integer topK) {
        if (scores.length != labels.size()) {
            throw new IllegalArgumentException(scores.length + " scores for " + labels.size() + " labels");
        }
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());
        int n = topK == null || topK <= 0 ? order.length : Math.min(topK, order.length);
        List<LabelScore> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(new LabelScore(labels.get(order[i]), scores[order[i]]));
        return out;
    }
}
