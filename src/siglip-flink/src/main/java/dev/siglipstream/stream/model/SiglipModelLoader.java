package dev.siglipstream.stream.model;

import dev.siglipstream.siglip.hub.HubClient;
import dev.siglipstream.siglip.image.DecodeMode;
import dev.siglipstream.siglip.hub.ModelResolver;
import dev.siglipstream.siglip.onnx.ExecutionProvider;
import dev.siglipstream.siglip.onnx.ModelVariant;
import dev.siglipstream.siglip.onnx.OnnxOptions;
import dev.siglipstream.siglip.onnx.SiglipModel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens the library's SigLIP model for a {@link ModelSpec}: a model folder as it is, a Hub repo id
 * through the Hugging Face cache of the task manager ({@code HF_HOME}, {@code HF_ENDPOINT},
 * {@code HF_TOKEN} honoured).
 */
public final class SiglipModelLoader implements ModelLoader {
    private static final long serialVersionUID = 1L;

    /** Image pixel limit handed to the library's decoder. */
    private final long maxPixels;

    /** How the model's image processor decodes JPEGs. */
    private final DecodeMode decodeMode;

    public SiglipModelLoader(long maxPixels) {
        this(maxPixels, DecodeMode.EXACT);
    }

    public SiglipModelLoader(long maxPixels, DecodeMode decodeMode) {
        this.maxPixels = maxPixels;
        this.decodeMode = java.util.Objects.requireNonNull(decodeMode, "decodeMode");
    }

    @Override
    public EmbeddingModel load(ModelSpec spec) {
        ModelVariant variant = ModelVariant.parse(spec.variant());
        ExecutionProvider provider = ExecutionProvider.parse(spec.provider());
        Path folder = folder(spec.model(), variant);
        OnnxOptions options = OnnxOptions.builder()
                .provider(provider)
                .deviceId(Math.max(0, spec.deviceId()))
                .intraOpThreads(spec.intraOpThreads())
                .spinWait(spec.spinWait())
                .variant(variant)
                .allowCpuFallback(spec.allowCpuFallback())
                .build();
        return new SiglipEmbeddingModel(SiglipModel.load(folder, options, maxPixels), spec.model(), provider, maxPixels,
                decodeMode);
    }

    /** The local folder of {@code model}: the folder itself, or a Hub repo id downloaded into the Hugging Face cache. */
    public static Path folder(String model, ModelVariant variant) {
        if (Files.isDirectory(Path.of(model))) {
            return Path.of(model);
        }
        if (!ModelResolver.looksLikeRepoId(model)) {
            throw new IllegalArgumentException("model folder not found: " + model
                    + " (expected a folder in the Hugging Face layout or a Hub repo id such as Xenova/siglip-base-patch16-224)");
        }
        return new ModelResolver(HubClient.fromEnvironment()).resolve(model, null, variant.onnxFiles());
    }
}
