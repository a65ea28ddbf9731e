package dev.siglipstream.siglip.image;

import java.util.Locale;

/**
 * How {@link SiglipImageProcessor} decodes JPEGs.
 *
 * <ul>
 *   <li>{@link #EXACT}: full-size decode, bit for bit what transformers gets from Pillow (the default).
 *   <li>{@link #FAST}: a large baseline JPEG is decoded at 1/4 or 1/8 scale in the DCT domain,
 *       the largest scale that keeps the image at least twice the model's size in both dimensions
 *       (Pillow's {@code draft()} rule, as {@code Image.thumbnail} uses it), then resized with the
 *       same bicubic filter. Close to, not identical with, the exact pixels; cheaper on camera-size
 *       photos. Other formats, progressive JPEGs, and JPEGs for which the rule gives 1/2 or no
 *       scaling (under 8× the model's size) take the exact path.
 * </ul>
 */
public enum DecodeMode {
    EXACT,
    FAST;

    /** {@code exact} or {@code fast}, any case. */
    public static DecodeMode parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("decode mode must be exact or fast, got " + s);
        }
    }

    /** The lower-case name, as flags and options spell it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
