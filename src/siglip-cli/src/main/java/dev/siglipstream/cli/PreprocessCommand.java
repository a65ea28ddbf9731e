package dev.siglipstream.cli;

import dev.siglipstream.siglip.image.ImageDecoder;
import dev.siglipstream.siglip.image.ImageProcessorConfig;
import dev.siglipstream.siglip.image.PixelBatch;
import dev.siglipstream.siglip.image.SiglipImageProcessor;
import dev.siglipstream.siglip.internal.Npy;
import dev.siglipstream.siglip.onnx.ModelVariant;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code siglip preprocess}: pixel values exactly as transformers' SiglipImageProcessor gives them. */
@Command(name = "preprocess", mixinStandardHelpOptions = true,
        description = "Preprocess images; writes DIR/pixel_values.npy (float32 [N,3,H,W]).")
final class PreprocessCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "M", description = "Model folder or Hub repo id (for preprocessor_config.json).")
    String model;

    @Option(names = "--revision", defaultValue = "main", description = "Hub revision for a repo id.")
    String revision;

    @Option(names = "--size", paramLabel = "N", description = "Resize to N×N instead of the model's size.")
    Integer size;

    @Option(names = "--max-pixels", description = "Reject images with more pixels than this.")
    Long maxPixels;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @picocli.CommandLine.Mixin DecodeOption decode;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Image files.")
    List<Path> images;

    @Override
    public Integer call() throws Exception {
        Path folder = ModelLocation.resolve(model, revision, ModelVariant.FP32);
        SiglipImageProcessor processor = processor(folder, size, maxPixels).withDecodeMode(decode.mode());
        PixelBatch batch = processor.preprocess(ImageFiles.read(images));
        float[] values = new float[batch.count() * 3 * batch.height() * batch.width()];
        batch.values().duplicate().position(0).get(values);
        Files.createDirectories(out);
        Npy.writeFloats(out.resolve("pixel_values.npy"), values, batch.count(), 3, batch.height(), batch.width());
        return 0;
    }

    /** The folder's image processor (transformers' defaults when it has no preprocessor_config.json). */
    static SiglipImageProcessor processor(Path folder, Integer size, Long maxPixels) {
        Path file = folder.resolve("preprocessor_config.json");
        ImageProcessorConfig config = Files.isRegularFile(file) ? ImageProcessorConfig.load(file) : ImageProcessorConfig.defaults();
        if (size != null) {
            if (size < 1) throw new IllegalArgumentException("--size must be >= 1, got " + size);
            config = config.withSize(size, size);
        }
        return new SiglipImageProcessor(config, maxPixels != null ? maxPixels : ImageDecoder.DEFAULT_MAX_PIXELS);
    }
}
