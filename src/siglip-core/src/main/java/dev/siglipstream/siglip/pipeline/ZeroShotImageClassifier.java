package dev.siglipstream.siglip.pipeline;

import dev.siglipstream.siglip.image.ImageDecodeException;
import dev.siglipstream.siglip.image.PixelBatch;
import dev.siglipstream.siglip.onnx.SiglipModel;
import dev.siglipstream.siglip.scoring.LabelScore;
import dev.siglipstream.siglip.scoring.Scoring;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * transformers' zero-shot image classification pipeline for SigLIP: each candidate label goes
 * through the hypothesis template, texts are padded to the model's max length, and every (image,
 * label) pair gets an independent sigmoid score; results are sorted descending (stable), optionally
 * cut to the top k and to a threshold. Text embeddings are cached per (template, label list), so
 * repeated calls with the same labels run only the vision tower.
 *
 * <pre>{@code
 * var classifier = new ZeroShotImageClassifier(model);
 * List<List<LabelScore>> results = classifier.classify(List.of(jpeg), List.of("cat", "dog"), Options.defaults());
 * }</pre>
 *
 * <p>Does not own the model. Thread-safe.
 */
public final class ZeroShotImageClassifier {
    /** transformers' default hypothesis template. */
    public static final String DEFAULT_TEMPLATE = "This is a photo of {}.";
    private static final int CACHE_SIZE = 64;

    /** Text embeddings of one label set under one template. */
    public record LabelEmbeddings(List<String> labels, String template, float[][] embeddings) {
        public LabelEmbeddings {
            labels = List.copyOf(labels);
        }
    }

    /**
     * Pipeline options.
     *
     * @param template hypothesis template with one {@code {}} for the label
     * @param topK keep the k best labels; null keeps all
     * @param threshold drop labels scoring below it; null keeps all
     */
    public record Options(String template, Integer topK, Float threshold) {
        public Options {
            Objects.requireNonNull(template, "template");
            if (topK != null && topK < 1) throw new IllegalArgumentException("topK must be >= 1, got " + topK);
        }

        public static Options defaults() {
            return new Options(DEFAULT_TEMPLATE, null, null);
        }
    }

    private final SiglipModel model;
    private final Map<List<String>, LabelEmbeddings> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<List<String>, LabelEmbeddings> eldest) {
            return size() > CACHE_SIZE;
        }
    };

    public ZeroShotImageClassifier(SiglipModel model) {
        this.model = Objects.requireNonNull(model, "model");
    }

    /** Python's {@code template.format(label)} for a template with one {@code {}} ({@code {{ }}} escape braces). */
    public static String hypothesis(String template, String label) {
        StringBuilder out = new StringBuilder(template.length() + label.length());
        boolean filled = false;
        for (int i = 0; i < template.length(); i++) {
            char c = template.charAt(i);
            char next = i + 1 < template.length() ? template.charAt(i + 1) : 0;
            if (c == '{' && next == '{' || c == '}' && next == '}') {
                out.append(c);
                i++;
            } else if (c == '{' && next == '}') {
                if (filled) throw new IllegalArgumentException("template has more than one {}: " + template);
                out.append(label);
                filled = true;
                i++;
            } else if (c == '{' || c == '}') {
                throw new IllegalArgumentException("template has an unmatched '" + c + "' (use {{ or }}): " + template);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The labels' text embeddings under {@code template}, from the cache when seen before. */
    public LabelEmbeddings encodeLabels(List<String> labels, String template) {
        List<String> key = new ArrayList<>(labels.size() + 1);
        key.add(template);
        key.addAll(labels);
        synchronized (cache) {
            LabelEmbeddings hit = cache.get(key);
            if (hit != null) return hit;
        }
        List<String> texts = labels.stream().map(l -> hypothesis(template, l)).toList();
        LabelEmbeddings computed = new LabelEmbeddings(labels, template, model.textEmbeddings(texts));
        synchronized (cache) {
            cache.put(List.copyOf(key), computed);
        }
        return computed;
    }

    /** Scores already-embedded images against a label set, applying top-k and threshold. */
    public List<List<LabelScore>> score(float[][] imageEmbeds, LabelEmbeddings labels, Options options) {
        float[][] probs = Scoring.probabilities(imageEmbeds, labels.embeddings(), model.logitScale(), model.logitBias());
        List<List<LabelScore>> out = new ArrayList<>(probs.length);
        for (float[] row : probs) {
            List<LabelScore> ranked = Scoring.rank(row, labels.labels(), options.topK());
            if (options.threshold() != null) {
                ranked = ranked.stream().filter(s -> s.score() >= options.threshold()).toList();
            }
            out.add(ranked);
        }
        return out;
    }

    /** Classifies encoded images (JPEG, PNG, ...) against candidate labels; one result list per image. */
    public List<List<LabelScore>> classify(List<byte[]> images, List<String> labels, Options options)
            throws ImageDecodeException {
        if (labels.isEmpty()) throw new IllegalArgumentException("at least one candidate label is needed");
        LabelEmbeddings text = encodeLabels(labels, options.template());
        PixelBatch pixels = model.imageProcessor().preprocess(images);
        return score(model.imageEmbeddings(pixels.values(), pixels.count()), text, options);
    }
}
