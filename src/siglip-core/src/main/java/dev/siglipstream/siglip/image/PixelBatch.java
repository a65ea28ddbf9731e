package dev.siglipstream.siglip.image;

import java.nio.FloatBuffer;

/**
 * Preprocessed images, NCHW float32 with 3 channels: {@code values} holds {@code count × 3 ×
 * height × width} floats from position 0 (a direct, native-order buffer ready for ONNX Runtime).
 */
public record PixelBatch(FloatBuffer values, int count, int height, int width) {
    public static final int CHANNELS = 3;

    public PixelBatch {
        long expected = (long) count * CHANNELS * height * width;
        if (values == null || values.capacity() < expected) {
            throw new IllegalArgumentException("values must hold count*3*height*width = " + expected
                    + " floats, got " + (values == null ? "null" : values.capacity()));
        }
    }

    /** {@code [count, 3, height, width]}, the {@code pixel_values} tensor shape. */
    public long[] shape() {
        return new long[] {count, CHANNELS, height, width};
    }
}
