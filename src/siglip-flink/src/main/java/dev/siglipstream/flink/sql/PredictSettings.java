package dev.siglipstream.flink.sql;

import dev.siglipstream.siglip.image.DecodeMode;
import dev.siglipstream.stream.fetch.FetchPolicy;
import dev.siglipstream.stream.model.ModelLoader;
import dev.siglipstream.stream.model.ModelSpec;
import dev.siglipstream.stream.model.SiglipModelLoader;
import java.io.Serializable;
import java.util.List;

/**
 * A SigLIP SQL model's settings, checked by {@link SiglipModelProviderFactory} and shipped with the query.
 *
 * @param spec the shared session to score on (model, device, batching)
 * @param maxImagePixels images with more pixels are refused before decoding
 * @param decodeMode how JPEGs are decoded
 * @param labels the candidate labels, in the order given
 * @param hypotheses each label through the template: the texts the text tower embeds
 * @param topK labels kept per image; null keeps all
 * @param threshold lowest score kept; null keeps all
 * @param outputs the model's OUTPUT columns, in their declared order
 * @param fetchPolicy how images are fetched when the INPUT is a URI column; null when it holds the image bytes
 */
record PredictSettings(
        ModelSpec spec,
        long maxImagePixels,
        DecodeMode decodeMode,
        List<String> labels,
        List<String> hypotheses,
        Integer topK,
        Float threshold,
        List<OutputColumn> outputs,
        FetchPolicy fetchPolicy) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Opens the library's model with these settings' image limits. */
    ModelLoader loader() {
        return new SiglipModelLoader(maxImagePixels, decodeMode);
    }
}
