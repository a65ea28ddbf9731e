package dev.siglipstream.cli;

import dev.siglipstream.siglip.image.PixelBatch;
import dev.siglipstream.siglip.image.SiglipImageProcessor;
import dev.siglipstream.siglip.internal.Npy;
import dev.siglipstream.siglip.onnx.SiglipForImageClassification;
import dev.siglipstream.siglip.onnx.SiglipModel;
import dev.siglipstream.siglip.onnx.SiglipOutput;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code siglip embed}: the model's embeddings, logits and probabilities as .npy files. */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = {"Run the model; writes image_embeds.npy, text_embeds.npy, logits_per_image.npy, "
                + "logits_per_text.npy and probs_per_image.npy (those that apply) to --out.",
                "For a SiglipForImageClassification model: logits.npy."})
final class EmbedCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Option(names = "--images", arity = "1..*", paramLabel = "IMAGE", description = "Image files.")
    List<Path> images;

    @Option(names = "--pixel-values-npy", paramLabel = "F", description = "Preprocessed pixel values, float32 [N,3,H,W] (instead of --images).")
    Path pixelValuesNpy;

    @Option(names = "--texts-json", paramLabel = "F", description = "JSON file with a list of texts.")
    Path textsJson;

    @Mixin DecodeOption decode;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (images != null && pixelValuesNpy != null) {
            throw new IllegalArgumentException("give --images or --pixel-values-npy, not both");
        }
        Path folder = modelOptions.folder();
        Files.createDirectories(out);
        if (SiglipForImageClassification.isClassifier(folder)) {
            try (SiglipForImageClassification classifier = SiglipForImageClassification.load(folder, modelOptions.onnxOptions())) {
                Pixels px = pixels(classifier.imageProcessor());
                if (px == null) throw new IllegalArgumentException("a classifier model needs --images or --pixel-values-npy");
                if (textsJson != null) throw new IllegalArgumentException("a classifier model takes no texts (its labels are id2label)");
                float[][] logits = classifier.logits(px.values, px.count);
                writeMatrix("logits.npy", logits, classifier.labels().size());
            }
            return 0;
        }
        try (SiglipModel model = SiglipModel.load(folder, modelOptions.onnxOptions(), modelOptions.maxPixels())) {
            Pixels px = pixels(model.imageProcessor());
            List<String> texts = textsJson != null ? Json.readStrings(textsJson) : null;
            if (px == null && texts == null) throw new IllegalArgumentException("nothing to embed: give --images, --pixel-values-npy or --texts-json");
            float[][] imageEmbeds = px != null ? model.imageEmbeddings(px.values, px.count) : null;
            float[][] textEmbeds = texts != null ? model.textEmbeddings(texts) : null;
            int dim = model.embeddingDim();
            if (imageEmbeds != null) writeMatrix("image_embeds.npy", imageEmbeds, dim);
            if (textEmbeds != null) writeMatrix("text_embeds.npy", textEmbeds, dim);
            if (imageEmbeds != null && textEmbeds != null) {
                SiglipOutput outputs = SiglipOutput.of(imageEmbeds, textEmbeds, model.logitScale(), model.logitBias());
                writeMatrix("logits_per_image.npy", outputs.logitsPerImage(), textEmbeds.length);
                writeMatrix("logits_per_text.npy", outputs.logitsPerText(), imageEmbeds.length);
                writeMatrix("probs_per_image.npy", outputs.probsPerImage(), textEmbeds.length);
            }
        }
        return 0;
    }

    private record Pixels(FloatBuffer values, int count) {}

    private Pixels pixels(SiglipImageProcessor processor) throws Exception {
        if (images != null) {
            PixelBatch batch = processor.withDecodeMode(decode.mode()).preprocess(ImageFiles.read(images));
            return new Pixels(batch.values(), batch.count());
        }
        if (pixelValuesNpy != null) {
            Npy.Array a = Npy.read(pixelValuesNpy);
            int[] s = a.shape();
            if (s.length != 4 || s[1] != 3 || s[2] != processor.height() || s[3] != processor.width()) {
                throw new IllegalArgumentException(pixelValuesNpy + ": expected shape [N, 3, " + processor.height() + ", "
                        + processor.width() + "], got " + java.util.Arrays.toString(s));
            }
            float[] values = a.floats();
            FloatBuffer buf = SiglipImageProcessor.allocate(s[0], s[2], s[3]);
            buf.put(values).flip();
            return new Pixels(buf, s[0]);
        }
        return null;
    }

    private void writeMatrix(String name, float[][] rows, int cols) throws java.io.IOException {
        float[] flat = new float[rows.length * cols];
        for (int r = 0; r < rows.length; r++) System.arraycopy(rows[r], 0, flat, r * cols, cols);
        Npy.writeFloats(out.resolve(name), flat, rows.length, cols);
    }
}
