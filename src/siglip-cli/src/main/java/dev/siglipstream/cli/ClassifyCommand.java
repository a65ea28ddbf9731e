package dev.siglipstream.cli;

import dev.siglipstream.siglip.image.ImageDecodeException;
import dev.siglipstream.siglip.image.SiglipImageProcessor;
import dev.siglipstream.siglip.onnx.SiglipForImageClassification;
import dev.siglipstream.siglip.onnx.SiglipModel;
import dev.siglipstream.siglip.scoring.LabelScore;
import dev.siglipstream.siglip.pipeline.ZeroShotImageClassifier;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code siglip classify}: zero-shot scores (sigmoid per label, sorted descending) for each image, one
 * JSON line per image; a {@code SiglipForImageClassification} model scores its own {@code id2label}.
 */
@Command(name = "classify", mixinStandardHelpOptions = true,
        description = {"Classify images; prints one JSON line per image: "
                + "{\"image\": ..., \"scores\": [{\"label\": ..., \"score\": ...}, ...]}.",
                "An unreadable image is reported on stderr; the others are still classified and the exit code is 1."})
final class ClassifyCommand implements Callable<Integer> {
    private static final int BATCH = 16;

    @Mixin ModelOptions modelOptions;

    @ArgGroup(exclusive = true)
    LabelSource labelSource;

    static final class LabelSource {
        @Option(names = "--labels", split = ",", paramLabel = "a,b,c", description = "Candidate labels, comma-separated.")
        List<String> labels;

        @Option(names = "--labels-json", paramLabel = "F", description = "JSON file with a list of candidate labels.")
        Path labelsJson;
    }

    @Option(names = "--template", defaultValue = ZeroShotImageClassifier.DEFAULT_TEMPLATE,
            description = "Hypothesis template; {} is replaced by the label. Default: \"${DEFAULT-VALUE}\".")
    String template;

    @Option(names = "--top-k", paramLabel = "K", description = "Keep the K best labels per image.")
    Integer topK;

    @Option(names = "--threshold", paramLabel = "X", description = "Keep labels scoring at least X.")
    Float threshold;

    @picocli.CommandLine.Mixin DecodeOption decode;

    @Parameters(arity = "1..*", paramLabel = "IMAGE",
            description = "Image files, or folders: every image in a folder (.jpg, .jpeg, .png, .gif, .bmp, .webp; "
                    + "sub-folders too, hidden files skipped), in path order.")
    List<Path> images;

    @Override
    public Integer call() throws Exception {
        List<Path> given = images;
        images = ImageFiles.expand(given);
        if (images.isEmpty()) throw new IllegalArgumentException("no image files in " + given);
        Path folder = modelOptions.folder();
        ZeroShotImageClassifier.Options options = new ZeroShotImageClassifier.Options(template, topK, threshold);
        if (SiglipForImageClassification.isClassifier(folder)) {
            if (labelSource != null) throw new IllegalArgumentException("a classifier model's labels come from its id2label; drop --labels");
            try (SiglipForImageClassification classifier = SiglipForImageClassification.load(folder, modelOptions.onnxOptions())) {
                return run(classifier.imageProcessor(), (pixels, n) -> {
                    List<List<LabelScore>> out = new ArrayList<>();
                    float[][] logits = classifier.logits(pixels, n);
                    for (float[] row : logits) out.add(classifier.score(row, topK, threshold));
                    return out;
                });
            }
        }
        List<String> labels = labels();
        try (SiglipModel model = SiglipModel.load(folder, modelOptions.onnxOptions(), modelOptions.maxPixels())) {
            ZeroShotImageClassifier classifier = new ZeroShotImageClassifier(model);
            ZeroShotImageClassifier.LabelEmbeddings text = classifier.encodeLabels(labels, template);
            return run(model.imageProcessor(), (pixels, n) -> classifier.score(model.imageEmbeddings(pixels, n), text, options));
        }
    }

    private List<String> labels() {
        if (labelSource == null) throw new IllegalArgumentException("give candidate labels with --labels or --labels-json");
        List<String> labels = labelSource.labels != null ? labelSource.labels : Json.readStrings(labelSource.labelsJson);
        if (labels.isEmpty()) throw new IllegalArgumentException("the candidate label list is empty");
        return labels;
    }

    @FunctionalInterface
    private interface Scorer {
        List<List<LabelScore>> score(FloatBuffer pixels, int count);
    }

    /** Preprocesses in batches, skipping (and reporting) images that cannot be read. */
    private int run(SiglipImageProcessor modelProcessor, Scorer scorer) {
        SiglipImageProcessor processor = modelProcessor.withDecodeMode(decode.mode());
        int failures = 0;
        FloatBuffer buf = SiglipImageProcessor.allocate(BATCH, processor.height(), processor.width());
        List<Path> pending = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            Path image = images.get(i);
            try {
                processor.preprocess(ImageFiles.read(image), buf);
                pending.add(image);
            } catch (ImageDecodeException | IllegalArgumentException e) {
                System.err.println("siglip classify: error: " + image + ": " + e.getMessage());
                failures++;
            }
            if (pending.size() == BATCH || (i == images.size() - 1 && !pending.isEmpty())) {
                buf.flip();
                List<List<LabelScore>> results = scorer.score(buf, pending.size());
                for (int j = 0; j < pending.size(); j++) print(pending.get(j), results.get(j));
                pending.clear();
                buf.clear();
            }
        }
        System.out.flush();
        return failures == 0 ? 0 : 1;
    }

    private static void print(Path image, List<LabelScore> scores) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("image", image.toString());
        List<Map<String, Object>> list = new ArrayList<>();
        for (LabelScore s : scores) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("label", s.label());
            m.put("score", s.score());
            list.add(m);
        }
        line.put("scores", list);
        System.out.println(Json.write(line));
    }
}
