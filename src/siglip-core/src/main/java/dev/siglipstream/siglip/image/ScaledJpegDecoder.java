package dev.siglipstream.siglip.image;

/**
 * A baseline (sequential Huffman, 8-bit) JPEG decoder that decodes at 1/2, 1/4 or 1/8 scale in the
 * DCT domain, as libjpeg's {@code scale_denom} (Pillow's {@code draft()}) does: each 8×8 block
 * yields an n×n block from its n×n lowest-frequency coefficients (an n-point inverse DCT), so the
 * entropy decoding is the only work that scales with the full image. Chroma is produced at output
 * resolution by a larger inverse DCT where the sampling allows (4:2:0 at 1/4: luma 2×2, chroma
 * 4×4), replicated otherwise. YCbCr → RGB uses libjpeg's fixed-point formula.
 *
 * <p>Not bit-exact with libjpeg's reduced-size IDCT (it uses its own fixed-point approximations;
 * this one is floating point): the result is a close, not an identical, picture. It handles what
 * cameras and phones write: one interleaved scan (or a single greyscale component), any sampling
 * factors up to 4×4, restart markers. Everything else (progressive, arithmetic coding,
 * 12-bit, CMYK, several scans) returns {@code null}: the caller decodes exactly instead.
 *
 * <p>Not thread-safe; one instance per thread.
 */
final class ScaledJpegDecoder {
    /** Per n (1, 2, 4, 8): A[x * n + u] = a(u) · cos((2x + 1)uπ / 2n), a(0) = 1/(2√2), a(u) = 1/2. */
    private static final float[][] IDCT = new float[9][];
    /** KEEP[n]: bits of the natural indices with both frequencies below n. */
    private static final long[] KEEP = new long[9];
    /** Zig-zag position → natural (row-major) index in the 8×8 block. */
    private static final int[] NATURAL = {
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
        28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
        54, 47, 55, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63};

    static {
        for (int n = 1; n <= 8; n <<= 1) {
            float[] a = new float[n * n];
            for (int x = 0; x < n; x++) {
                for (int u = 0; u < n; u++) {
                    double c = u == 0 ? 1 / (2 * Math.sqrt(2)) : 0.5;
                    a[x * n + u] = (float) (c * Math.cos((2 * x + 1) * u * Math.PI / (2 * n)));
                }
            }
            IDCT[n] = a;
        }
        for (int n = 1; n <= 8; n++) {
            for (int i = 0; i < 64; i++) {
                if ((i & 7) < n && (i >> 3) < n) KEEP[n] |= 1L << i;
            }
        }
    }

    /** The smallest scale divisor worth decoding here rather than with ImageIO's native full-size decoder. */
    static final int MIN_PAYING_SCALE = 4;

    /** The scale Pillow's {@code draft(mode, (w, h))} picks: the largest of 8, 4, 2, 1 not above min(W // w, H // h). */
    static int draftScale(int width, int height, int requestWidth, int requestHeight) {
        int scale = Math.min(width / requestWidth, height / requestHeight);
        for (int a : new int[] {8, 4, 2}) {
            if (scale >= a) return a;
        }
        return 1;
    }

    private byte[] data;
    private int pos;
    // the image
    private int width;
    private int height;
    private int precision;
    private int ncomp;
    private final int[] compId = new int[4];
    private final int[] hs = new int[4];
    private final int[] vs = new int[4];
    private final int[] tq = new int[4];
    private final int[][] quant = new int[4][64];
    private final Huffman[] dc = new Huffman[4];
    private final Huffman[] ac = new Huffman[4];
    private int restartInterval;
    // bit reader
    private long bitBuf;
    private int bitCount;
    private boolean hitMarker;
    /** The data ended without a marker: a truncated file, which the exact decoder reports. */
    private boolean ranOut;

    /**
     * Decodes {@code jpeg} at 1/{@code scale} (2, 4 or 8) into ⌈W/scale⌉ × ⌈H/scale⌉ RGB, or
     * returns null when this decoder does not handle the file. EXIF orientation is not applied.
     * Corrupt data may throw a RuntimeException; the caller falls back to the exact decoder.
     */
    RgbImage decode(byte[] jpeg, int scale) {
        if (scale != 2 && scale != 4 && scale != 8) throw new IllegalArgumentException("scale must be 2, 4 or 8, got " + scale);
        reset(jpeg);
        try {
            return run(scale);
        } finally {
            data = null;
        }
    }

    /** The frame's width and height from its SOF marker, or null when it is not a file this decoder handles. */
    int[] size(byte[] jpeg) {
        reset(jpeg);
        try {
            return readHeaders() ? new int[] {width, height} : null;
        } finally {
            data = null;
        }
    }

    private void reset(byte[] jpeg) {
        data = jpeg;
        pos = 0;
        width = height = ncomp = 0;
        restartInterval = 0;
        java.util.Arrays.fill(dc, null);
        java.util.Arrays.fill(ac, null);
    }

    /** Reads markers up to the first SOS (left at {@code pos} after its header); false if unsupported. */
    private boolean readHeaders() {
        if (u8(0) != 0xFF || u8(1) != 0xD8) return false;
        pos = 2;
        boolean frame = false;
        while (true) {
            int m = nextMarker();
            if (m < 0) return false;
            if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) continue;
            if (m == 0xD9) return false;
            int len = u16(pos);
            int end = pos + len;
            if (len < 2 || end > data.length) return false;
            int p = pos + 2;
            switch (m) {
                case 0xC0, 0xC1 -> {
                    precision = u8(p);
                    height = u16(p + 1);
                    width = u16(p + 3);
                    ncomp = u8(p + 5);
                    if (precision != 8 || (ncomp != 1 && ncomp != 3) || width == 0 || height == 0) return false;
                    for (int c = 0; c < ncomp; c++) {
                        compId[c] = u8(p + 6 + 3 * c);
                        int hv = u8(p + 7 + 3 * c);
                        hs[c] = hv >> 4;
                        vs[c] = hv & 15;
                        tq[c] = u8(p + 8 + 3 * c);
                        if (hs[c] < 1 || hs[c] > 4 || vs[c] < 1 || vs[c] > 4 || tq[c] > 3) return false;
                    }
                    frame = true;
                }
                case 0xC4 -> {
                    while (p < end) {
                        int tc = u8(p) >> 4;
                        int th = u8(p) & 15;
                        if (th > 3 || tc > 1) return false;
                        int[] counts = new int[17];
                        int total = 0;
                        for (int i = 1; i <= 16; i++) {
                            counts[i] = u8(p + i);
                            total += counts[i];
                        }
                        if (p + 17 + total > end) return false;
                        Huffman h = new Huffman(counts, data, p + 17, total, tc == 1);
                        if (tc == 0) dc[th] = h;
                        else ac[th] = h;
                        p += 17 + total;
                    }
                }
                case 0xDB -> {
                    while (p < end) {
                        int pq = u8(p) >> 4;
                        int t = u8(p) & 15;
                        if (t > 3 || pq > 1) return false;
                        p++;
                        for (int i = 0; i < 64; i++) {
                            quant[t][NATURAL[i]] = pq == 0 ? u8(p + i) : u16(p + 2 * i);
                        }
                        p += pq == 0 ? 64 : 128;
                    }
                }
                case 0xDD -> restartInterval = u16(p);
                case 0xDA -> {
                    if (!frame) return false;
                    return true; // pos is at the SOS length field
                }
                default -> {
                    // SOF2 (progressive), SOF3/5-7/9-15 (lossless, hierarchical, arithmetic), DAC: not here
                    if ((m >= 0xC2 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) || m == 0xCC) return false;
                }
            }
            pos = end;
        }
    }

    private int nextMarker() {
        while (pos + 1 < data.length) {
            if (u8(pos) != 0xFF) return -1;
            int m = u8(pos + 1);
            pos += 2;
            if (m != 0xFF) return m;
            pos--; // fill byte
        }
        return -1;
    }

    private RgbImage run(int scale) {
        if (!readHeaders()) return null;
        int len = u16(pos);
        int ns = u8(pos + 2);
        if (ns != ncomp) return null; // several scans: not handled here
        int[] order = new int[ns];
        for (int i = 0; i < ns; i++) {
            int id = u8(pos + 3 + 2 * i);
            int t = u8(pos + 4 + 2 * i);
            int c = indexOf(id);
            if (c < 0 || dc[t >> 4] == null || ac[t & 15] == null) return null;
            order[i] = c;
            dcTable[c] = dc[t >> 4];
            acTable[c] = ac[t & 15];
        }
        int ss = u8(pos + 3 + 2 * ns);
        int se = u8(pos + 4 + 2 * ns);
        int ahal = u8(pos + 5 + 2 * ns);
        if (ss != 0 || se != 63 || ahal != 0) return null;
        pos += len;

        int hmax = 1;
        int vmax = 1;
        for (int c = 0; c < ncomp; c++) {
            hmax = Math.max(hmax, hs[c]);
            vmax = Math.max(vmax, vs[c]);
        }
        if (ncomp == 1) { // a single component is never interleaved: one block per MCU
            hs[0] = vs[0] = hmax = vmax = 1;
        }
        int outW = (width + scale - 1) / scale;
        int outH = (height + scale - 1) / scale;
        int mcuX = (width + 8 * hmax - 1) / (8 * hmax);
        int mcuY = (height + 8 * vmax - 1) / (8 * vmax);
        // per component: IDCT size in x and y, pixel replication, plane size
        int[] nx = new int[ncomp];
        int[] ny = new int[ncomp];
        int[] stride = new int[ncomp];
        byte[][] plane = new byte[ncomp][];
        for (int c = 0; c < ncomp; c++) {
            int fx = 8 / scale * (hmax / hs[c]); // output pixels one block covers
            int fy = 8 / scale * (vmax / vs[c]);
            if (hmax % hs[c] != 0 || vmax % vs[c] != 0) return null;
            nx[c] = Math.min(8, fx);
            ny[c] = Math.min(8, fy);
            stride[c] = mcuX * hs[c] * nx[c];
            plane[c] = new byte[stride[c] * mcuY * vs[c] * ny[c]];
            repX[c] = fx / nx[c];
            repY[c] = fy / ny[c];
        }
        int[] coef = new int[64];
        float[] tmp = new float[64];
        int[] pred = new int[ncomp];
        bitBuf = 0;
        bitCount = 0;
        hitMarker = false;
        ranOut = false;
        int mcus = mcuX * mcuY;
        int todo = restartInterval;
        int blocksPerLine = ncomp == 1 ? (width + 7) / 8 : 0;
        int blocksPerColumn = ncomp == 1 ? (height + 7) / 8 : 0;
        if (ncomp == 1) mcus = blocksPerLine * blocksPerColumn;
        for (int m = 0; m < mcus; m++) {
            if (restartInterval > 0) {
                if (todo == 0) {
                    restart();
                    java.util.Arrays.fill(pred, 0);
                    todo = restartInterval;
                }
                todo--;
            }
            int my = ncomp == 1 ? m / blocksPerLine : m / mcuX;
            int mx = ncomp == 1 ? m % blocksPerLine : m % mcuX;
            for (int i = 0; i < ns; i++) {
                int c = order[i];
                int[] q = quant[tq[c]];
                for (int by = 0; by < vs[c]; by++) {
                    for (int bx = 0; bx < hs[c]; bx++) {
                        int limit = nx[c] > ny[c] ? nx[c] : ny[c];
                        int extent = decodeBlock(c, coef, q, pred, limit);
                        int px = (mx * hs[c] + bx) * nx[c];
                        int py = (my * vs[c] + by) * ny[c];
                        idct(coef, extent, nx[c], ny[c], tmp, plane[c], py * stride[c] + px, stride[c]);
                    }
                }
            }
        }
        return ranOut ? null : toRgb(outW, outH, plane, stride);
    }

    private final Huffman[] dcTable = new Huffman[4];
    private final Huffman[] acTable = new Huffman[4];
    private final int[] repX = new int[4];
    private final int[] repY = new int[4];

    private int indexOf(int id) {
        for (int c = 0; c < ncomp; c++) {
            if (compId[c] == id) return c;
        }
        return -1;
    }

    /**
     * Decodes one block's coefficients; keeps (dequantised, in natural order) only those with both
     * frequencies below {@code limit}, zeroing the rest. Returns the largest row or column index
     * (0..limit-1) of a kept non-zero coefficient plus one, packed as {@code maxU | maxV << 8}.
     */
    private int decodeBlock(int c, int[] coef, int[] q, int[] pred, int limit) {
        for (int i = 0; i < limit; i++) {
            for (int j = 0; j < limit; j++) coef[i * 8 + j] = 0;
        }
        Huffman dcH = dcTable[c];
        int[] fastAc = acTable[c].fastAc;
        int t = decode(dcH);
        int diff = t == 0 ? 0 : extend(receive(t), t);
        pred[c] += diff;
        coef[0] = pred[c] * q[0];
        long nonZero = 0;
        int k = 1;
        // the bit buffer in locals for the hot loop, written back around the rare calls that need it
        long buf = bitBuf;
        int cnt = bitCount;
        final int mask = (1 << Huffman.FAST_BITS) - 1;
        while (k < 64) {
            if (cnt < Huffman.FAST_BITS) {
                bitBuf = buf;
                bitCount = cnt;
                fill();
                buf = bitBuf;
                cnt = bitCount;
            }
            int fast = fastAc[(int) (buf >>> (cnt - Huffman.FAST_BITS)) & mask];
            int value;
            if (fast != 0) {
                // the code and its value bits fit in the look-ahead: run, size and value in one step
                cnt -= fast & 15;
                k += (fast >> 4) & 15;
                value = fast >> 8;
            } else {
                bitBuf = buf;
                bitCount = cnt;
                int rs = decode(acTable[c]);
                int r = rs >> 4;
                int s = rs & 15;
                if (s == 0) {
                    buf = bitBuf;
                    cnt = bitCount;
                    if (r != 15) break;
                    k += 16;
                    continue;
                }
                k += r;
                value = extend(receive(s), s);
                buf = bitBuf;
                cnt = bitCount;
            }
            // no branch on the position (it would mispredict): store every coefficient, note it in a
            // bit mask, and let the IDCT read only the kept corner
            int z = NATURAL[k];
            coef[z] = value * q[z];
            nonZero |= 1L << z;
            k++;
        }
        bitBuf = buf;
        bitCount = cnt;
        long kept = nonZero & KEEP[limit];
        int columns = 0;
        for (long rows = kept; rows != 0; rows >>>= 8) columns |= (int) rows & 0xff;
        int maxU = Math.max(1, 32 - Integer.numberOfLeadingZeros(columns));
        int maxV = Math.max(1, (63 - Long.numberOfLeadingZeros(kept | 1)) / 8 + 1);
        return maxU | maxV << 8;
    }

    /**
     * The n-point inverse DCT of the block's low frequencies (nx × ny of them, only the first
     * {@code extent} rows/columns non-zero), level-shifted, rounded and clamped into {@code out}.
     */
    private static void idct(int[] coef, int extent, int nx, int ny, float[] tmp, byte[] out, int o, int stride) {
        int maxU = Math.min(extent & 0xff, nx);
        int maxV = Math.min(extent >> 8, ny);
        if (maxU == 1 && maxV == 1) { // flat block: DC / 8
            int v = Math.round(coef[0] * 0.125f) + 128;
            byte b = (byte) (v < 0 ? 0 : v > 255 ? 255 : v);
            for (int y = 0; y < ny; y++) {
                java.util.Arrays.fill(out, o + y * stride, o + y * stride + nx, b);
            }
            return;
        }
        if (nx == 2 && ny == 2) { // 1/4 scale luma: out = (F00 ± F01 ± F10 ± F11) / 8
            int f00 = coef[0];
            int f01 = maxU > 1 ? coef[1] : 0;
            int f10 = maxV > 1 ? coef[8] : 0;
            int f11 = maxU > 1 && maxV > 1 ? coef[9] : 0;
            int a = f00 + f01;
            int b = f00 - f01;
            int c = f10 + f11;
            int d = f10 - f11;
            out[o] = level(a + c);
            out[o + 1] = level(b + d);
            out[o + stride] = level(a - c);
            out[o + stride + 1] = level(b - d);
            return;
        }
        float[] ax = IDCT[nx];
        float[] ay = IDCT[ny];
        // rows: tmp[v * 8 + x] = sum_u ax[x][u] * F[v][u]
        for (int v = 0; v < maxV; v++) {
            for (int x = 0; x < nx; x++) {
                float s = 0;
                for (int u = 0; u < maxU; u++) s += ax[x * nx + u] * coef[v * 8 + u];
                tmp[v * 8 + x] = s;
            }
        }
        for (int y = 0; y < ny; y++) {
            int row = o + y * stride;
            for (int x = 0; x < nx; x++) {
                float s = 0;
                for (int v = 0; v < maxV; v++) s += ay[y * ny + v] * tmp[v * 8 + x];
                int p = Math.round(s) + 128;
                out[row + x] = (byte) (p < 0 ? 0 : p > 255 ? 255 : p);
            }
        }
    }

    /** A 2-point-by-2-point IDCT sum (eight times the sample) to a level-shifted, rounded, clamped byte. */
    private static byte level(int eightTimes) {
        int p = ((eightTimes + 4) >> 3) + 128;
        return (byte) (p < 0 ? 0 : p > 255 ? 255 : p);
    }

    private RgbImage toRgb(int w, int h, byte[][] plane, int[] stride) {
        byte[] rgb = new byte[w * h * 3];
        // libjpeg's colour-space guess, as the exact path makes it (JFIF, then Adobe's flag, then ids)
        boolean ycc = ncomp == 3 && ImageDecoder.JpegInfo.isYcc(data);
        int o = 0;
        if (ncomp == 1) {
            byte[] p0 = plane[0];
            for (int y = 0; y < h; y++) {
                int r0 = (y / repY[0]) * stride[0];
                for (int x = 0; x < w; x++, o += 3) {
                    byte g = p0[r0 + x / repX[0]];
                    rgb[o] = g;
                    rgb[o + 1] = g;
                    rgb[o + 2] = g;
                }
            }
            return new RgbImage(w, h, rgb);
        }
        byte[] p0 = plane[0];
        byte[] p1 = plane[1];
        byte[] p2 = plane[2];
        boolean simple = repX[0] == 1 && repX[1] == 1 && repX[2] == 1;
        for (int y = 0; y < h; y++) {
            int r0 = (y / repY[0]) * stride[0];
            int r1 = (y / repY[1]) * stride[1];
            int r2 = (y / repY[2]) * stride[2];
            for (int x = 0; x < w; x++, o += 3) {
                int a;
                int b;
                int c;
                if (simple) {
                    a = p0[r0 + x] & 0xff;
                    b = p1[r1 + x] & 0xff;
                    c = p2[r2 + x] & 0xff;
                } else {
                    a = p0[r0 + x / repX[0]] & 0xff;
                    b = p1[r1 + x / repX[1]] & 0xff;
                    c = p2[r2 + x / repX[2]] & 0xff;
                }
                if (ycc) {
                    rgb[o] = (byte) ImageDecoder.Ycc.red(a, c);
                    rgb[o + 1] = (byte) ImageDecoder.Ycc.green(a, b, c);
                    rgb[o + 2] = (byte) ImageDecoder.Ycc.blue(a, b);
                } else {
                    rgb[o] = (byte) a;
                    rgb[o + 1] = (byte) b;
                    rgb[o + 2] = (byte) c;
                }
            }
        }
        return new RgbImage(w, h, rgb);
    }

    // ---- entropy decoding ----

    /** Tops the bit buffer up to at least 57 bits; past a marker (or the end) it feeds zeros, as libjpeg does. */
    private void fill() {
        long buf = bitBuf;
        int cnt = bitCount;
        if (!hitMarker) {
            final byte[] d = data;
            int p = pos;
            while (cnt <= 56) {
                if (p >= d.length) {
                    ranOut = true;
                    break;
                }
                int b = d[p] & 0xff;
                if (b == 0xFF) {
                    if (p + 1 < d.length && d[p + 1] != 0) {
                        hitMarker = true; // a marker ends the entropy-coded data
                        break;
                    }
                    p += 2; // a stuffed 0xFF 0x00
                } else {
                    p++;
                }
                buf = buf << 8 | b;
                cnt += 8;
            }
            pos = p;
        }
        while (cnt <= 56) {
            buf <<= 8;
            cnt += 8;
        }
        bitBuf = buf;
        bitCount = cnt;
    }

    /** At a restart interval's end: drop the partial byte, skip the RSTn marker. */
    private void restart() {
        bitBuf = 0;
        bitCount = 0;
        hitMarker = false;
        while (pos + 1 < data.length && !(u8(pos) == 0xFF && u8(pos + 1) >= 0xD0 && u8(pos + 1) <= 0xD7)) {
            pos++; // libjpeg would warn about extraneous bytes; skip them
        }
        if (pos + 1 < data.length) pos += 2;
    }

    private int receive(int n) {
        if (bitCount < n) fill();
        bitCount -= n;
        return (int) (bitBuf >>> bitCount) & ((1 << n) - 1);
    }

    private static int extend(int v, int n) {
        return v < (1 << (n - 1)) ? v - (1 << n) + 1 : v;
    }

    private int decode(Huffman h) {
        if (bitCount < 16) fill();
        int peek = (int) (bitBuf >>> (bitCount - Huffman.FAST_BITS)) & ((1 << Huffman.FAST_BITS) - 1);
        int e = h.fast[peek];
        if (e != 0) {
            bitCount -= e >> 8;
            return e & 0xff;
        }
        // longer codes: canonical decoding, one bit at a time past FAST_BITS
        int code = (int) (bitBuf >>> (bitCount - 16)) & 0xffff;
        for (int l = Huffman.FAST_BITS + 1; l <= 16; l++) {
            int c = code >>> (16 - l);
            if (c <= h.maxCode[l]) {
                bitCount -= l;
                return h.symbols[h.valPtr[l] + c - h.minCode[l]];
            }
        }
        throw new IllegalStateException("bad Huffman code");
    }

    private int u8(int p) {
        return p < data.length ? data[p] & 0xff : 0;
    }

    private int u16(int p) {
        return u8(p) << 8 | u8(p + 1);
    }

    /** A Huffman table with a {@link #FAST_BITS}-bit look-up for short codes. */
    static final class Huffman {
        static final int FAST_BITS = 10;
        /** (code length << 8 | symbol) per look-ahead value, 0 when the code is longer. */
        final int[] fast = new int[1 << FAST_BITS];
        /**
         * For AC tables: (value << 8 | run << 4 | total bits) when the code and its value bits both
         * fit in the look-ahead and the symbol is not EOB/ZRL; 0 otherwise.
         */
        final int[] fastAc;
        final int[] maxCode = new int[18];
        final int[] minCode = new int[17];
        final int[] valPtr = new int[17];
        final int[] symbols;

        Huffman(int[] counts, byte[] data, int offset, int total, boolean acTable) {
            symbols = new int[total];
            for (int i = 0; i < total; i++) symbols[i] = data[offset + i] & 0xff;
            int code = 0;
            int k = 0;
            for (int l = 1; l <= 16; l++) {
                valPtr[l] = k;
                minCode[l] = code;
                for (int i = 0; i < counts[l]; i++, k++, code++) {
                    if (l <= FAST_BITS) {
                        int shift = FAST_BITS - l;
                        for (int j = 0; j < (1 << shift); j++) fast[(code << shift) | j] = l << 8 | symbols[k];
                    }
                }
                maxCode[l] = counts[l] > 0 ? code - 1 : -1;
                code <<= 1;
            }
            maxCode[17] = Integer.MAX_VALUE;
            fastAc = acTable ? new int[1 << FAST_BITS] : null;
            if (acTable) {
                for (int i = 0; i < fast.length; i++) {
                    int e = fast[i];
                    if (e == 0) continue;
                    int len = e >> 8;
                    int rs = e & 0xff;
                    int run = rs >> 4;
                    int size = rs & 15;
                    if (size == 0 || len + size > FAST_BITS) continue;
                    int bits = (i >> (FAST_BITS - len - size)) & ((1 << size) - 1);
                    int value = extend(bits, size);
                    fastAc[i] = value << 8 | run << 4 | (len + size);
                }
            }
        }
    }
}
