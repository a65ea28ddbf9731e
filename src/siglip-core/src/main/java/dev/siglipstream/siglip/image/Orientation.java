package dev.siglipstream.siglip.image;

/**
 * Finds the EXIF orientation tag (0x0112) in JPEG APP1, PNG eXIf and WebP EXIF data, and applies it
 * as Pillow's {@code ImageOps.exif_transpose} does. ImageIO ignores the tag.
 */
final class Orientation {
    private Orientation() {}

    /** The orientation 1..8 stored in the image, or 1 when there is none or it cannot be read. */
    static int find(byte[] b) {
        try {
            if (isJpeg(b)) return fromJpeg(b);
            if (isPng(b)) return fromPng(b);
            if (isWebp(b)) return fromWebp(b);
        } catch (RuntimeException e) {
            // A malformed EXIF block must not fail an otherwise readable image; Pillow skips it too.
        }
        return 1;
    }

    static boolean isJpeg(byte[] b) {
        return b.length >= 3 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8 && (b[2] & 0xff) == 0xFF;
    }

    static boolean isPng(byte[] b) {
        return b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G';
    }

    static boolean isWebp(byte[] b) {
        return b.length >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F'
                && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P';
    }

    private static int fromJpeg(byte[] b) {
        int p = 2;
        while (p + 4 <= b.length) {
            if ((b[p] & 0xff) != 0xFF) return 1;
            int marker = b[p + 1] & 0xff;
            if (marker == 0xFF) {
                p++;
                continue;
            }
            if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
                p += 2;
                continue;
            }
            if (marker == 0xDA || marker == 0xD9) return 1; // pixel data starts: no EXIF before it
            int len = u16be(b, p + 2);
            int data = p + 4;
            // Pillow uses the first APP1 that starts with "Exif\0".
            if (marker == 0xE1 && len >= 8 && data + 6 <= b.length && b[data] == 'E'
                    && b[data + 1] == 'x' && b[data + 2] == 'i' && b[data + 3] == 'f'
                    && b[data + 4] == 0) {
                return fromTiff(b, data + 6, Math.min(b.length, p + 2 + len));
            }
            p += 2 + len;
        }
        return 1;
    }

    private static int fromPng(byte[] b) {
        int p = 8;
        while (p + 8 <= b.length) {
            int len = u32be(b, p);
            if (len < 0 || p + 12L + len > b.length) return 1;
            int t = p + 4;
            if (b[t] == 'e' && b[t + 1] == 'X' && b[t + 2] == 'I' && b[t + 3] == 'f') {
                int start = p + 8;
                // Some writers keep the JPEG-style "Exif\0\0" prefix inside eXIf.
                if (len >= 6 && b[start] == 'E' && b[start + 1] == 'x') start += 6;
                return fromTiff(b, start, p + 8 + len);
            }
            if (b[t] == 'I' && b[t + 1] == 'D' && b[t + 2] == 'A' && b[t + 3] == 'T') return 1;
            p += 12 + len;
        }
        return 1;
    }

    private static int fromWebp(byte[] b) {
        int p = 12;
        while (p + 8 <= b.length) {
            int len = u32le(b, p + 4);
            if (len < 0 || p + 8L + len > b.length) return 1;
            if (b[p] == 'E' && b[p + 1] == 'X' && b[p + 2] == 'I' && b[p + 3] == 'F') {
                int start = p + 8;
                if (len >= 6 && b[start] == 'E' && b[start + 1] == 'x') start += 6;
                return fromTiff(b, start, p + 8 + len);
            }
            p += 8 + len + (len & 1);
        }
        return 1;
    }

    /** Reads tag 0x0112 from IFD0 of the TIFF structure in {@code b[start, end)}. */
    private static int fromTiff(byte[] b, int start, int end) {
        if (start + 8 > end) return 1;
        boolean le;
        if (b[start] == 'I' && b[start + 1] == 'I') le = true;
        else if (b[start] == 'M' && b[start + 1] == 'M') le = false;
        else return 1;
        if (u16(b, start + 2, le) != 42) return 1;
        long ifd = u32(b, start + 4, le) & 0xffffffffL;
        long p = start + ifd;
        if (p + 2 > end) return 1;
        int n = u16(b, (int) p, le);
        for (int i = 0; i < n; i++) {
            int e = (int) (p + 2 + 12L * i);
            if (e + 12 > end) return 1;
            if (u16(b, e, le) == 0x0112) {
                int type = u16(b, e + 2, le);
                int v;
                if (type == 3) v = u16(b, e + 8, le); // SHORT
                else if (type == 4) v = u32(b, e + 8, le); // LONG
                else if (type == 1) v = b[e + 8] & 0xff; // BYTE
                else return 1;
                return v >= 1 && v <= 8 ? v : 1;
            }
        }
        return 1;
    }

    /**
     * Applies orientation {@code o} like Pillow's exif_transpose: 2 mirror, 3 rotate 180, 4 flip,
     * 5 transpose, 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise.
     */
    static RgbImage apply(RgbImage img, int o) {
        if (o <= 1 || o > 8) return img;
        int w = img.width();
        int h = img.height();
        boolean swap = o >= 5;
        int ow = swap ? h : w;
        int oh = swap ? w : h;
        byte[] in = img.rgb();
        byte[] out = new byte[in.length];
        int q = 0;
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int sx;
                int sy;
                switch (o) {
                    case 2 -> { sx = w - 1 - x; sy = y; }
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
                    case 4 -> { sx = x; sy = h - 1 - y; }
                    case 5 -> { sx = y; sy = x; }
                    case 6 -> { sx = y; sy = h - 1 - x; }
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
                    default -> { sx = w - 1 - y; sy = x; } // 8
                }
                int s = (sy * w + sx) * 3;
                out[q++] = in[s];
                out[q++] = in[s + 1];
                out[q++] = in[s + 2];
            }
        }
        return new RgbImage(ow, oh, out);
    }

    static int u16be(byte[] b, int p) {
        return ((b[p] & 0xff) << 8) | (b[p + 1] & 0xff);
    }

    static int u32be(byte[] b, int p) {
        return ((b[p] & 0xff) << 24) | ((b[p + 1] & 0xff) << 16) | ((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff);
    }

    private static int u32le(byte[] b, int p) {
        return (b[p] & 0xff) | ((b[p + 1] & 0xff) << 8) | ((b[p + 2] & 0xff) << 16) | ((b[p + 3] & 0xff) << 24);
    }

    private static int u16(byte[] b, int p, boolean le) {
        return le ? (b[p] & 0xff) | ((b[p + 1] & 0xff) << 8) : u16be(b, p);
    }

    private static int u32(byte[] b, int p, boolean le) {
        return le ? u32le(b, p) : u32be(b, p);
    }
}
