package dev.siglipstream.stream.job;

import dev.siglipstream.stream.model.ModelLoader;

/** The production model loader: the library's SigLIP model behind {@link dev.siglipstream.stream.model.EmbeddingModel}. */
public final class Models {
    private Models() {}

    public static ModelLoader defaultLoader() {
        return spec -> {
            throw new UnsupportedOperationException("the SigLIP library model is not in this build yet");
        };
    }
}
