package dev.siglipstream.bench;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.SplittableRandom;

/**
 * Deterministic photo-like test images of any size: smooth colour gradients (sky, lighting),
 * fine texture at two scales (foliage, fabric, sensor noise) and hard-edged shapes (objects),
 * so a JPEG of it costs about what a camera photo of that size costs to decode (a 4000×3000 one at
 * quality 90 is about 3 MB, in the 2–5 MB of phone photos). The same size always gives the same bytes.
 *
 * <p>Usage: {@code byte[] jpeg = SyntheticPhoto.jpeg(4000, 3000, 0.9f);}
 */
public final class SyntheticPhoto {
    private SyntheticPhoto() {}

    /** The image as 8-bit RGB, row-major, interleaved. */
    public static byte[] rgb(int width, int height) {
        if (width < 1 || height < 1) throw new IllegalArgumentException("size must be positive, got " + width + "x" + height);
        SplittableRandom random = new SplittableRandom(width * 31L + height);
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)];
        double[][] base = new double[3][4];
        for (double[] b : base) {
            b[0] = 40 + random.nextDouble() * 120; // level
            b[1] = (random.nextDouble() - 0.5) * 120; // horizontal gradient over the width
            b[2] = (random.nextDouble() - 0.5) * 120; // vertical gradient over the height
            b[3] = random.nextDouble() * Math.PI * 2; // phase of a slow wave
        }
        // texture is a function of the pixel position in a 1000-pixel-wide frame, so detail per pixel
        // stays like a photo's whatever the size
        double unit = Math.max(width, height) / 1000.0;
        for (int y = 0; y < height; y++) {
            double fy = (double) y / height;
            for (int x = 0; x < width; x++) {
                double fx = (double) x / width;
                int fine = hash(x >> 1, y >> 1) & 31; // 2-pixel grain
                int coarse = hash((int) (x / (6 * unit)) + 7919, (int) (y / (6 * unit)) + 104729) & 63;
                int o = (y * width + x) * 3;
                for (int c = 0; c < 3; c++) {
                    double[] b = base[c];
                    double v = b[0] + b[1] * fx + b[2] * fy + 25 * Math.sin(6 * fx + 4 * fy + b[3])
                            + (fine - 16) * 0.9 + (coarse - 32) * 0.6;
                    out[o + c] = (byte) clamp(v);
                }
            }
        }
        // hard-edged objects: rectangles and discs of flat colour with their own grain
        int shapes = 24;
        for (int s = 0; s < shapes; s++) {
            int cx = random.nextInt(width);
            int cy = random.nextInt(height);
            int rx = 1 + random.nextInt(Math.max(1, width / 6));
            int ry = 1 + random.nextInt(Math.max(1, height / 6));
            boolean disc = random.nextBoolean();
            int[] colour = {random.nextInt(256), random.nextInt(256), random.nextInt(256)};
            for (int y = Math.max(0, cy - ry); y < Math.min(height, cy + ry); y++) {
                for (int x = Math.max(0, cx - rx); x < Math.min(width, cx + rx); x++) {
                    if (disc) {
                        double dx = (double) (x - cx) / rx;
                        double dy = (double) (y - cy) / ry;
                        if (dx * dx + dy * dy > 1) continue;
                    }
                    int grain = (hash(x + 31, y + 17) & 15) - 8;
                    int o = (y * width + x) * 3;
                    for (int c = 0; c < 3; c++) out[o + c] = (byte) clamp(colour[c] + grain);
                }
            }
        }
        return out;
    }

    /** The image as a baseline JPEG (4:2:0, as cameras write them) at {@code quality} (0..1, ImageIO's scale = libjpeg's / 100). */
    public static byte[] jpeg(int width, int height, float quality) {
        byte[] rgb = rgb(width, height);
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < rgb.length; i += 3) {
            bgr[i] = rgb[i + 2];
            bgr[i + 1] = rgb[i + 1];
            bgr[i + 2] = rgb[i];
        }
        try {
            return dev.siglipstream.siglip.image.PreprocessBench.toJpeg(img, quality);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int hash(int x, int y) {
        int h = x * 0x27d4eb2d ^ y * 0x165667b1;
        h ^= h >>> 15;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        return h;
    }

    private static int clamp(double v) {
        return v < 0 ? 0 : v > 255 ? 255 : (int) v;
    }
}
