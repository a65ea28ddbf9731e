package dev.siglipstream.stream.job;

import dev.siglipstream.stream.model.ModelLoader;
import dev.siglipstream.stream.model.SiglipModelLoader;
import dev.siglipstream.stream.options.JobOptions;
import org.apache.flink.configuration.Configuration;

/** The production model loader: the library's SigLIP model behind {@link dev.siglipstream.stream.model.EmbeddingModel}. */
public final class Models {
    private Models() {}

    public static ModelLoader defaultLoader(Configuration conf) {
        return new SiglipModelLoader(conf.get(JobOptions.MAX_IMAGE_PIXELS), conf.get(JobOptions.IMAGE_DECODE));
    }
}
