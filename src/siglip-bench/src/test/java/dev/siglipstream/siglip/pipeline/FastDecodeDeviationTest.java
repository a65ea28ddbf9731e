package dev.siglipstream.siglip.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.siglipstream.bench.SyntheticPhoto;
import dev.siglipstream.siglip.image.DecodeMode;
import dev.siglipstream.siglip.image.ImageDecoder;
import dev.siglipstream.siglip.image.ImageProcessorConfig;
import dev.siglipstream.siglip.image.PixelBatch;
import dev.siglipstream.siglip.image.SiglipImageProcessor;
import dev.siglipstream.siglip.onnx.OnnxOptions;
import dev.siglipstream.siglip.onnx.SiglipForImageClassification;
import dev.siglipstream.siglip.onnx.SiglipModel;
import dev.siglipstream.siglip.scoring.LabelScore;
import dev.siglipstream.testutils.Conformance;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link DecodeMode#FAST} against the exact path on large JPEGs (the conformance 3000×2000 photo and
 * generated 5 MP and 12 MP photos), through the tiny conformance models (64×64 input, random
 * weights): every probability within 0.01 of the exact path's. With random weights the scores say
 * nothing about what a trained model would decide; the bound shows that the fast path's pixel
 * differences move the model's output about as far as a few grey levels of noise do, nothing about
 * accuracy on real labels.
 */
class FastDecodeDeviationTest {
    static SiglipModel model;
    static SiglipForImageClassification classifier;
    static List<byte[]> images;

    @BeforeAll
    static void load() throws Exception {
        model = SiglipModel.load(Conformance.tinyModel(), OnnxOptions.defaults());
        classifier = SiglipForImageClassification.load(Conformance.tinyClassifier(), OnnxOptions.defaults());
        images = List.of(Files.readAllBytes(Conformance.image("large_3000x2000")),
                SyntheticPhoto.jpeg(2592, 1944, 0.9f), SyntheticPhoto.jpeg(4000, 3000, 0.9f));
    }

    @AfterAll
    static void close() {
        model.close();
        classifier.close();
    }

    /** Largest and mean |Δ| in 0..255 levels between two normalised batches (mean = std = 0.5, so one level = 2/255). */
    static double[] levelDiff(FloatBuffer a, FloatBuffer b) {
        double max = 0;
        double sum = 0;
        int n = a.limit();
        for (int i = 0; i < n; i++) {
            double d = Math.abs(a.get(i) - b.get(i)) * 127.5;
            max = Math.max(max, d);
            sum += d;
        }
        return new double[] {max, sum / n};
    }

    @Test
    void zeroShotProbabilitiesStayWithinOneHundredth() throws Exception {
        SiglipImageProcessor exact = model.imageProcessor();
        SiglipImageProcessor fast = exact.withDecodeMode(DecodeMode.FAST);
        PixelBatch e = exact.preprocess(images);
        PixelBatch f = fast.preprocess(images);
        double[] px = levelDiff(e.values(), f.values());
        assertThat(px[0]).as("the fast path changes pixels (it decodes at reduced scale)").isGreaterThan(0);
        ZeroShotImageClassifier zs = new ZeroShotImageClassifier(model);
        double maxProb = 0;
        int rankingChanges = 0;
        int compared = 0;
        for (JsonNode set : Conformance.cases().get("zero_shot_pipeline").get("label_sets")) {
            List<String> labels = new ArrayList<>();
            set.get("candidate_labels").forEach(l -> labels.add(l.asText()));
            var text = zs.encodeLabels(labels, set.get("hypothesis_template").asText());
            var options = new ZeroShotImageClassifier.Options(set.get("hypothesis_template").asText(), null, null);
            var exactScores = zs.score(model.imageEmbeddings(e.values(), e.count()), text, options);
            var fastScores = zs.score(model.imageEmbeddings(f.values(), f.count()), text, options);
            for (int i = 0; i < images.size(); i++) {
                var a = exactScores.get(i);
                var b = fastScores.get(i);
                if (!a.stream().map(LabelScore::label).toList().equals(b.stream().map(LabelScore::label).toList())) {
                    rankingChanges++;
                }
                for (LabelScore s : a) {
                    float other = b.stream().filter(x -> x.label().equals(s.label())).findFirst().orElseThrow().score();
                    maxProb = Math.max(maxProb, Math.abs(s.score() - other));
                }
                compared++;
            }
        }
        System.out.printf("fast decode vs exact, tiny model (64x64), %d images: max|dpixel| %.0f, mean %.3f levels; "
                + "zero-shot max|dprob| %.2e, ranking changes %d of %d%n", images.size(), px[0], px[1], maxProb,
                rankingChanges, compared);
        assertThat(maxProb).isLessThanOrEqualTo(0.01);
    }

    @Test
    void classifierProbabilitiesStayWithinOneHundredth() throws Exception {
        SiglipImageProcessor exact = classifier.imageProcessor();
        PixelBatch e = exact.preprocess(images);
        PixelBatch f = exact.withDecodeMode(DecodeMode.FAST).preprocess(images);
        float[][] le = classifier.logits(e.values(), e.count());
        float[][] lf = classifier.logits(f.values(), f.count());
        double maxProb = 0;
        int rankingChanges = 0;
        for (int i = 0; i < images.size(); i++) {
            var a = classifier.score(le[i], null, null);
            var b = classifier.score(lf[i], null, null);
            if (!a.stream().map(LabelScore::label).toList().equals(b.stream().map(LabelScore::label).toList())) {
                rankingChanges++;
            }
            for (LabelScore s : a) {
                float other = b.stream().filter(x -> x.label().equals(s.label())).findFirst().orElseThrow().score();
                maxProb = Math.max(maxProb, Math.abs(s.score() - other));
            }
        }
        System.out.printf("fast decode vs exact, tiny classifier, %d images: max|dprob| %.2e, ranking changes %d of %d%n",
                images.size(), maxProb, rankingChanges, images.size());
        assertThat(maxProb).isLessThanOrEqualTo(0.01);
    }

    @Test
    void pixelsAt224StayWithinAFewLevels() throws Exception {
        SiglipImageProcessor exact = new SiglipImageProcessor(ImageProcessorConfig.defaults(), ImageDecoder.DEFAULT_MAX_PIXELS);
        SiglipImageProcessor fast = exact.withDecodeMode(DecodeMode.FAST);
        double[] px = levelDiff(exact.preprocess(images).values(), fast.preprocess(images).values());
        System.out.printf("fast decode vs exact at 224x224, %d images: max|dpixel| %.0f, mean %.3f levels%n",
                images.size(), px[0], px[1]);
        assertThat(px[0]).isGreaterThan(0).isLessThanOrEqualTo(16);
        assertThat(px[1]).isLessThanOrEqualTo(1.0);
    }
}
