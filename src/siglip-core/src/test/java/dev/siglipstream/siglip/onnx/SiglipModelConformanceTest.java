package dev.siglipstream.siglip.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.siglipstream.siglip.image.SiglipImageProcessor;
import dev.siglipstream.siglip.internal.Npy;
import dev.siglipstream.siglip.scoring.Scoring;
import dev.siglipstream.testutils.Conformance;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ONNX path against transformers' SiglipModel outputs (conformance/golden/model). Tolerances as
 * the issue states them; the observed maxima are printed for the record.
 */
class SiglipModelConformanceTest {
    static SiglipModel model;
    static FloatBuffer pixels;
    static int images;
    static long[][] inputIds;

    @BeforeAll
    static void load() {
        model = SiglipModel.load(Conformance.tinyModel(), OnnxOptions.builder().intraOpThreads(1).build());
        Npy.Array px = Conformance.golden("model/pixel_values_batch.npy");
        images = px.shape()[0];
        pixels = SiglipImageProcessor.allocate(images, px.shape()[2], px.shape()[3]);
        pixels.put(px.floats()).flip();
        Npy.Array ids = Conformance.golden("text/input_ids.npy");
        long[] flat = ids.longs();
        inputIds = new long[ids.shape()[0]][ids.shape()[1]];
        for (int r = 0; r < inputIds.length; r++) System.arraycopy(flat, r * ids.shape()[1], inputIds[r], 0, ids.shape()[1]);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static void report(String what, double diff) {
        System.out.printf("conformance %-28s max|diff| = %.3e%n", what, diff);
    }

    @Test
    void scaleAndBiasAreReadOffTheCombinedGraph() {
        // the checkpoint's logit_scale parameter is log(117.33), its bias -12.93 (conformance README)
        assertThat(model.logitScale()).isCloseTo(117.33f, within(2e-3f));
        assertThat(model.logitBias()).isCloseTo(-12.93f, within(2e-3f));
        report("logit scale", Math.abs(model.logitScale() - 117.33));
        report("logit bias", Math.abs(model.logitBias() + 12.93));
    }

    @Test
    void visionPoolerAndImageEmbedsMatch() {
        float[][] pooler = model.getImageFeatures(pixels.duplicate(), images);
        double dPool = Conformance.maxAbsDiff(pooler, Conformance.matrix("model/vision_pooler_output.npy"));
        double dEmb = Conformance.maxAbsDiff(Scoring.normalize(pooler), Conformance.matrix("model/image_embeds.npy"));
        report("vision pooler_output", dPool);
        report("image_embeds", dEmb);
        assertThat(dPool).isLessThan(1e-4);
        assertThat(dEmb).isLessThan(1e-4);
    }

    @Test
    void textPoolerAndTextEmbedsMatchTheUnmaskedReference() {
        float[][] pooler = model.getTextFeatures(inputIds);
        double dPool = Conformance.maxAbsDiff(pooler, Conformance.matrix("model/text_pooler_output.npy"));
        double dEmb = Conformance.maxAbsDiff(model.textEmbeddings(inputIds), Conformance.matrix("model/text_embeds.npy"));
        report("text pooler_output", dPool);
        report("text_embeds", dEmb);
        assertThat(dPool).isLessThan(1e-4);
        assertThat(dEmb).isLessThan(1e-4);
        // and far from the masked variant, which the ONNX export must not reproduce
        assertThat(Conformance.maxAbsDiff(model.textEmbeddings(inputIds), Conformance.matrix("model/masked/text_embeds.npy")))
                .isGreaterThan(0.1);
    }

    @Test
    void textEmbeddingsFromRawTextsMatch() {
        float[][] fromTexts = model.textEmbeddings(Conformance.texts());
        assertThat(Conformance.maxAbsDiff(fromTexts, Conformance.matrix("model/text_embeds.npy"))).isLessThan(1e-4);
    }

    @Test
    void logitsAndProbabilitiesMatch() {
        float[][] img = model.imageEmbeddings(pixels.duplicate(), images);
        float[][] txt = model.textEmbeddings(inputIds);
        float[][] logits = Scoring.logits(img, txt, model.logitScale(), model.logitBias());
        float[][] probs = Scoring.probabilities(img, txt, model.logitScale(), model.logitBias());
        double dLogits = Conformance.maxAbsDiff(logits, Conformance.matrix("model/logits_per_image.npy"));
        double dProbs = Conformance.maxAbsDiff(probs, Conformance.matrix("model/probs_per_image.npy"));
        report("logits_per_image", dLogits);
        report("probs_per_image", dProbs);
        assertThat(dLogits).isLessThan(1e-3);
        assertThat(dProbs).isLessThan(1e-4);
    }

    @Test
    void forwardMatchesTheReferenceBothWays() {
        SiglipOutput out = model.forward(pixels.duplicate(), images, Conformance.texts());
        assertThat(Conformance.maxAbsDiff(out.logitsPerImage(), Conformance.matrix("model/logits_per_image.npy"))).isLessThan(1e-3);
        assertThat(Conformance.maxAbsDiff(out.logitsPerText(), Conformance.matrix("model/logits_per_text.npy"))).isLessThan(1e-3);
        assertThat(Conformance.maxAbsDiff(out.probsPerImage(), Conformance.matrix("model/probs_per_image.npy"))).isLessThan(1e-4);
        assertThat(Conformance.maxAbsDiff(out.imageEmbeds(), Conformance.matrix("model/image_embeds.npy"))).isLessThan(1e-4);
    }

    @Test
    void batchOfOneEqualsTheBatchRow() {
        float[][] all = model.imageEmbeddings(pixels.duplicate(), images);
        FloatBuffer third = pixels.duplicate();
        third.position(2 * 3 * 64 * 64);
        float[][] one = model.imageEmbeddings(third, 1);
        assertThat(Conformance.maxAbsDiff(one, new float[][] {all[2]})).isLessThan(1e-5);
    }

    @Test
    void embeddingDimComesFromTheGraph() {
        assertThat(model.embeddingDim()).isEqualTo(64);
        assertThat(model.provider()).isEqualTo(ExecutionProvider.CPU);
    }
}
