package dev.siglipstream.stream.model;

import dev.siglipstream.siglip.image.DecodeMode;
import dev.siglipstream.siglip.image.ImageDecodeException;
import dev.siglipstream.siglip.image.SiglipImageProcessor;
import dev.siglipstream.siglip.onnx.ExecutionProvider;
import dev.siglipstream.siglip.onnx.SiglipModel;
import dev.siglipstream.siglip.scoring.Scoring;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * The library's {@link SiglipModel} as the job's {@link EmbeddingModel}. Owns the model: closing
 * this closes it.
 */
public final class SiglipEmbeddingModel implements EmbeddingModel {
    private final SiglipModel model;
    private final String modelId;
    private final ExecutionProvider requested;

    private final long pixelLimit;
    private final SiglipImageProcessor processor;

    public SiglipEmbeddingModel(SiglipModel model, String modelId, ExecutionProvider requested) {
        this(model, modelId, requested, Long.MAX_VALUE);
    }

    /** @param pixelLimit the {@code maxPixels} the model's image decoder was opened with */
    public SiglipEmbeddingModel(SiglipModel model, String modelId, ExecutionProvider requested, long pixelLimit) {
        this(model, modelId, requested, pixelLimit, DecodeMode.EXACT);
    }

    /** @param decodeMode how {@link #preprocess} decodes JPEGs ({@link DecodeMode}) */
    public SiglipEmbeddingModel(SiglipModel model, String modelId, ExecutionProvider requested, long pixelLimit,
            DecodeMode decodeMode) {
        this.model = model;
        this.processor = model.imageProcessor().withDecodeMode(decodeMode);
        this.modelId = modelId;
        this.requested = requested;
        this.pixelLimit = pixelLimit;
    }

    @Override
    public long pixelLimit() {
        return pixelLimit;
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public int imageHeight() {
        return model.imageProcessor().height();
    }

    @Override
    public int imageWidth() {
        return model.imageProcessor().width();
    }

    @Override
    public int embeddingDim() {
        return model.embeddingDim();
    }

    @Override
    public void preprocess(byte[] encoded, FloatBuffer dst) throws ImageRejectedException {
        try {
            processor.preprocess(encoded, dst);
        } catch (ImageDecodeException e) {
            ImageRejectedException.Reason reason = e.reason() == ImageDecodeException.Reason.TOO_LARGE
                    ? ImageRejectedException.Reason.IMAGE_TOO_LARGE : ImageRejectedException.Reason.UNDECODABLE_IMAGE;
            throw new ImageRejectedException(reason, e.getMessage(), e);
        }
    }

    @Override
    public float[][] imageEmbeddings(FloatBuffer pixelValues, int count) {
        return model.imageEmbeddings(pixelValues, count);
    }

    @Override
    public float[][] textEmbeddings(List<String> texts) {
        return model.textEmbeddings(texts);
    }

    @Override
    public float[][] probabilities(float[][] imageEmbeds, float[][] textEmbeds) {
        return Scoring.probabilities(imageEmbeds, textEmbeds, model.logitScale(), model.logitBias());
    }

    @Override
    public String provider() {
        return model.provider().name();
    }

    @Override
    public boolean cpuFallback() {
        return requested.isGpu() && model.provider() == ExecutionProvider.CPU;
    }

    @Override
    public void close() {
        model.close();
    }
}
