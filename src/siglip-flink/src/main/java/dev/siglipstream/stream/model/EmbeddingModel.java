package dev.siglipstream.stream.model;

import java.nio.FloatBuffer;
import java.util.List;

/**
 * What the job needs from a SigLIP model: preprocessing, the vision tower in batches, the text
 * tower for label sets, and the scale and bias that turn cosine similarities into logits. The
 * production implementation wraps the library's {@code SiglipModel}; unit tests inject a fake.
 *
 * <p>Implementations must allow concurrent calls (ONNX Runtime sessions do). The one who opened it
 * closes it — in the job that is {@link SharedModels}.
 */
public interface EmbeddingModel extends AutoCloseable {

    /** The model folder or Hub id, copied onto every scored event. */
    String modelId();

    int imageHeight();

    int imageWidth();

    int embeddingDim();

    /**
     * Decodes and preprocesses one encoded image, writing 3·H·W floats at {@code dst.position()}
     * and advancing it.
     */
    void preprocess(byte[] encoded, FloatBuffer dst) throws ImageRejectedException;

    /** L2-normalised embeddings of {@code count} preprocessed images ([count,3,H,W], direct, native order). */
    float[][] imageEmbeddings(FloatBuffer pixelValues, int count);

    /** L2-normalised embeddings of the given hypothesis texts (already through the template). */
    float[][] textEmbeddings(List<String> texts);

    /** Sigmoid probabilities, one row per image, one column per text. */
    float[][] probabilities(float[][] imageEmbeds, float[][] textEmbeds);

    /** The provider actually in use, e.g. {@code CPU} or {@code CUDA}. */
    String provider();

    /** True when a GPU provider was asked for and the model fell back to the CPU. */
    boolean cpuFallback();

    /**
     * The pixel count above which {@link #preprocess} itself refuses an image as IMAGE_TOO_LARGE, from
     * its header and before decoding; {@code Long.MAX_VALUE} when it enforces none. Callers skip
     * their own header check when this is within their limit.
     */
    default long pixelLimit() {
        return Long.MAX_VALUE;
    }

    @Override
    void close();
}
