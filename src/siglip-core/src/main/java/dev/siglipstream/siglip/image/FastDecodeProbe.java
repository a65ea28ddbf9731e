package dev.siglipstream.siglip.image;

/**
 * What {@link DecodeMode#FAST}'s JPEG decoder costs, for {@code siglip bench}: its reduced-scale
 * decode alone, and the floor under it, its entropy (Huffman) decoding of every coefficient with
 * nothing else. exact path ÷ floor bounds the speed-up of any decoder that reads the baseline
 * entropy-coded data on the CPU, whatever its scale or inverse DCT. Not thread-safe; one per thread.
 */
public final class FastDecodeProbe {
    private final ScaledJpegDecoder decoder = new ScaledJpegDecoder();

    /**
     * The scale (4 or 8) the fast path decodes {@code jpeg} at for a {@code width × height} model
     * input (kept at least twice that size), or 1 where it decodes exactly: too small for 1/4, or
     * not a JPEG this decoder handles.
     */
    public int scale(byte[] jpeg, int width, int height) {
        int[] size = decoder.size(jpeg);
        return size == null ? 1 : ScaledJpegDecoder.fastScale(size[0], size[1], 2 * width, 2 * height);
    }

    /** The reduced-scale decode alone (no EXIF orientation) at {@code scale} (2, 4 or 8); null where not handled. */
    public RgbImage decode(byte[] jpeg, int scale) {
        return decoder.decode(jpeg, scale);
    }

    /**
     * Huffman-decodes every block of the scan as {@link #decode} does and discards the coefficients.
     * Returns the blocks read, -1 for a JPEG this decoder does not handle (progressive, CMYK, …);
     * throws IllegalStateException when the entropy-coded data does not end exactly at EOI.
     */
    public long entropyOnly(byte[] jpeg) {
        return decoder.entropyOnly(jpeg);
    }
}
