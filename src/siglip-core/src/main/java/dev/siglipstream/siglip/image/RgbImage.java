package dev.siglipstream.siglip.image;

/**
 * A decoded 8-bit RGB image: {@code rgb} holds {@code height} rows of {@code width} interleaved
 * R, G, B bytes (row-major HWC), as {@code np.asarray(load_image(...))} would.
 *
 * <p>The array is shared, not copied; treat it as read-only once the image is built.
 */
public record RgbImage(int width, int height, byte[] rgb) {
    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException(
                    "image size must be positive, got " + width + "x" + height);
        }
        if (rgb == null || rgb.length != (long) width * height * 3) {
            throw new IllegalArgumentException("rgb must hold width*height*3 = "
                    + (long) width * height * 3 + " bytes for " + width + "x" + height
                    + ", got " + (rgb == null ? "null" : rgb.length));
        }
    }

    /** The channel value (0..255) at column {@code x}, row {@code y}, channel {@code c}. */
    public int get(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xff;
    }
}
