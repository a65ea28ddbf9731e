package dev.siglipstream.cli;

import dev.siglipstream.siglip.hub.HubClient;
import dev.siglipstream.siglip.hub.ModelResolver;
import dev.siglipstream.siglip.onnx.ModelVariant;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Turns a {@code --model} argument into a local folder: an existing directory as it is, a Hub repo id
 * through the Hugging Face cache (downloading what is missing, honouring {@code HF_*} variables).
 */
final class ModelLocation {
    private ModelLocation() {}

    static Path resolve(String model, String revision, ModelVariant variant) {
        return resolve(model, revision, variant, null);
    }

    /** As above with a given Hub client (null: one configured from the environment). */
    static Path resolve(String model, String revision, ModelVariant variant, HubClient client) {
        Path folder = Path.of(model);
        if (Files.isDirectory(folder)) return folder;
        if (!ModelResolver.looksLikeRepoId(model)) {
            throw new IllegalArgumentException("model folder not found: " + model
                    + " (give a folder in the Hugging Face layout or a Hub repo id such as Xenova/siglip-base-patch16-224)");
        }
        HubClient hub = client != null ? client : HubClient.builderFromEnvironment().logger(System.err::println)
                .progress(Progress.of(null).downloads()).build();
        return new ModelResolver(hub).resolve(model, revision, variant.onnxFiles());
    }
}
