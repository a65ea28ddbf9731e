package dev.siglipstream.siglip.scoring;

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

    /**
     * {@code logits_per_image} [images, texts] from normalised embeddings: one matrix product for
     * the whole batch.
     *
     * <p>Register-blocked: each pass over a text embedding computes its dot products with four images
     * and two texts at once (eight independent sums, so the adds overlap instead of waiting on one
     * another), streaming every text embedding from memory once per four images while the image
     * block stays in cache. Each dot product is still summed in k order with a float multiply and a
     * float add per term, so results are bit-identical to the plain triple loop.
     */
    public static float[][] logits(float[][] imageEmbeds, float[][] textEmbeds, float logitScale, float logitBias) {
        int dim = textEmbeds.length > 0 ? textEmbeds[0].length : 0;
        for (float[] img : imageEmbeds) {
            if (textEmbeds.length > 0 && img.length != dim) {
                throw new IllegalArgumentException("image embedding has " + img.length + " dims, text embeddings have " + dim);
            }
        }
        for (int t = 0; t < textEmbeds.length; t++) {
            if (textEmbeds[t].length != dim) {
                throw new IllegalArgumentException("text embedding " + t + " has " + textEmbeds[t].length
                        + " dims, text embedding 0 has " + dim);
            }
        }
        int ni = imageEmbeds.length;
        int nt = textEmbeds.length;
        float[][] out = new float[ni][nt];
        int i = 0;
        for (; i + 3 < ni; i += 4) {
            float[] a0 = imageEmbeds[i];
            float[] a1 = imageEmbeds[i + 1];
            float[] a2 = imageEmbeds[i + 2];
            float[] a3 = imageEmbeds[i + 3];
            int t = 0;
            for (; t + 1 < nt; t += 2) {
                float[] b0 = textEmbeds[t];
                float[] b1 = textEmbeds[t + 1];
                float s00 = 0f, s10 = 0f, s20 = 0f, s30 = 0f;
                float s01 = 0f, s11 = 0f, s21 = 0f, s31 = 0f;
                for (int k = 0; k < dim; k++) {
                    float x0 = b0[k];
                    float x1 = b1[k];
                    float y0 = a0[k];
                    float y1 = a1[k];
                    float y2 = a2[k];
                    float y3 = a3[k];
                    s00 += y0 * x0;
                    s10 += y1 * x0;
                    s20 += y2 * x0;
                    s30 += y3 * x0;
                    s01 += y0 * x1;
                    s11 += y1 * x1;
                    s21 += y2 * x1;
                    s31 += y3 * x1;
                }
                out[i][t] = s00 * logitScale + logitBias;
                out[i + 1][t] = s10 * logitScale + logitBias;
                out[i + 2][t] = s20 * logitScale + logitBias;
                out[i + 3][t] = s30 * logitScale + logitBias;
                out[i][t + 1] = s01 * logitScale + logitBias;
                out[i + 1][t + 1] = s11 * logitScale + logitBias;
                out[i + 2][t + 1] = s21 * logitScale + logitBias;
                out[i + 3][t + 1] = s31 * logitScale + logitBias;
            }
            for (; t < nt; t++) {
                for (int r = 0; r < 4; r++) out[i + r][t] = dot(imageEmbeds[i + r], textEmbeds[t], dim) * logitScale + logitBias;
            }
        }
        for (; i < ni; i++) {
            float[] img = imageEmbeds[i];
            float[] row = out[i];
            for (int t = 0; t < nt; t++) row[t] = dot(img, textEmbeds[t], dim) * logitScale + logitBias;
        }
        return out;
    }

    /** The plain dot product, summed in k order (the order every path here keeps). */
    private static float dot(float[] a, float[] b, int dim) {
        float s = 0f;
        for (int k = 0; k < dim; k++) s += a[k] * b[k];
        return s;
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
