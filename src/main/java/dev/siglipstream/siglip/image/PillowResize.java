package dev.siglipstream.siglip.image;

/**
 * Pillow's {@code Image.resize} for 8-bit RGB images, bit for bit: a separable convolution
 * (horizontal pass, then vertical) whose kernel support widens with the downscale factor
 * (antialiasing), with Pillow's 22-bit fixed-point coefficients and a round-and-clamp to 8 bits
 * after each pass.
 *
 * <p>Usage: {@code RgbImage small = PillowResize.bicubic(image, 224, 224);}
 */
public final class PillowResize {
    /** Pillow's PRECISION_BITS: 32 - 8 bits of result - 2 bits of headroom for negative lobes. */
    static final int PRECISION_BITS = 22;
    private static final int HALF = 1 << (PRECISION_BITS - 1);

    private PillowResize() {}

    /** {@code src.resize((width, height), Image.BICUBIC)}. */
    public static RgbImage bicubic(RgbImage src, int width, int height) {
        return resize(src, width, height, ImageProcessorConfig.RESAMPLE_BICUBIC);
    }

    /** {@code src.resize((width, height), resample)} for resample 2 (bilinear) or 3 (bicubic). */
    static RgbImage resize(RgbImage src, int width, int height, int resample) {
        Plan plan = Plan.of(src.width(), src.height(), width, height, resample);
        byte[] out = new byte[width * height * 3];
        plan.run(src.rgb(), out, new Scratch());
        return new RgbImage(width, height, out);
    }

    /** Reusable work buffers; one per thread. */
    static final class Scratch {
        byte[] temp = new byte[0];
        int[] acc = new int[0];
        int[] row = new int[0];
        long[] longs = new long[0];
        byte[] line = new byte[0];
        float[] floats = new float[0];

        int[] row(int n) {
            if (row.length < n) row = new int[n];
            return row;
        }

        long[] longs(int n) {
            if (longs.length < n) longs = new long[n];
            return longs;
        }

        byte[] line(int n) {
            if (line.length < n) line = new byte[n];
            return line;
        }

        float[] floats(int n) {
            if (floats.length < n) floats = new float[n];
            return floats;
        }

        byte[] temp(int n) {
            if (temp.length < n) temp = new byte[n];
            return temp;
        }

        int[] acc(int n) {
            if (acc.length < n) acc = new int[n];
            return acc;
        }
    }

    /** The fixed-point kernel of one axis: for each output index, first input index, count, weights. */
    static final class Axis {
        final int ksize;
        final int[] first;
        final int[] count;
        final int[] weights; // outSize * ksize, Pillow's normalised int coefficients
        private Axis(int outSize, int ksize) {
            this.ksize = ksize;
            this.first = new int[outSize];
            this.count = new int[outSize];
            this.weights = new int[outSize * ksize];
        }

        /** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the box (0, inSize). */
        static Axis of(int inSize, int outSize, int resample) {
            double filterSupport = resample == ImageProcessorConfig.RESAMPLE_BICUBIC ? 2.0 : 1.0;
            // in0 = 0 and in1 = inSize are floats in Pillow; the difference is exact for these sizes.
            double scale = (double) ((float) inSize - 0f) / outSize;
            double filterscale = Math.max(scale, 1.0);
            double support = filterSupport * filterscale;
            int ksize = (int) Math.ceil(support) * 2 + 1;
            Axis axis = new Axis(outSize, ksize);
            double[] k = new double[ksize];
            double ss = 1.0 / filterscale;
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                int xmin = (int) (center - support + 0.5);
                if (xmin < 0) xmin = 0;
                int xmax = (int) (center + support + 0.5);
                if (xmax > inSize) xmax = inSize;
                xmax -= xmin;
                double ww = 0.0;
                for (int x = 0; x < xmax; x++) {
                    double w = filter(resample, (x + xmin - center + 0.5) * ss);
                    k[x] = w;
                    ww += w;
                }
                int base = xx * ksize;
                for (int x = 0; x < xmax; x++) {
                    double v = ww != 0.0 ? k[x] / ww : k[x];
                    axis.weights[base + x] = v < 0
                            ? (int) (-0.5 + v * (1 << PRECISION_BITS))
                            : (int) (0.5 + v * (1 << PRECISION_BITS));
                }
                axis.first[xx] = xmin;
                axis.count[xx] = Math.max(xmax, 0);
            }
            return axis;
        }

        private static double filter(int resample, double x) {
            if (x < 0.0) x = -x;
            if (resample == ImageProcessorConfig.RESAMPLE_BICUBIC) {
                final double a = -0.5;
                if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
                if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
                return 0.0;
            }
            return x < 1.0 ? 1.0 - x : 0.0;
        }
    }

    /** Everything that depends only on (source size, target size, filter); reuse it across images. */
    static final class Plan {
        final int srcWidth;
        final int srcHeight;
        final int dstWidth;
        final int dstHeight;
        final int resample;
        final boolean horizontal;
        final boolean vertical;
        final Axis xAxis;
        final Axis yAxis;
        final int rowFirst; // first source row the vertical pass reads
        final int rowCount; // number of source rows the vertical pass reads

        private Plan(int sw, int sh, int dw, int dh, int resample) {
            if (dw <= 0 || dh <= 0) {
                throw new IllegalArgumentException(
                        "target size must be positive, got " + dw + "x" + dh);
            }
            this.srcWidth = sw;
            this.srcHeight = sh;
            this.dstWidth = dw;
            this.dstHeight = dh;
            this.resample = resample;
            this.horizontal = dw != sw;
            this.vertical = dh != sh;
            this.yAxis = Axis.of(sh, dh, resample);
            this.xAxis = horizontal ? Axis.of(sw, dw, resample) : null;
            this.rowFirst = yAxis.first[0];
            this.rowCount = yAxis.first[dh - 1] + yAxis.count[dh - 1] - rowFirst;
        }

        static Plan of(int sw, int sh, int dw, int dh, int resample) {
            return new Plan(sw, sh, dw, dh, resample);
        }

        boolean matches(int sw, int sh, int dw, int dh, int resample) {
            return srcWidth == sw && srcHeight == sh && dstWidth == dw && dstHeight == dh
                    && this.resample == resample;
        }

        /** Resizes {@code src} (srcWidth×srcHeight×3) into {@code out} (dstWidth×dstHeight×3). */
        void run(byte[] src, byte[] out, Scratch scratch) {
            run(src, scratch, (y, line) -> System.arraycopy(line, 0, out, y * dstWidth * 3, dstWidth * 3));
        }

        /**
         * Resizes {@code src} and hands each finished output row (dstWidth×3 interleaved bytes, in a
         * buffer reused for the next row) to {@code sink}, so a consumer such as normalisation can
         * work on rows while they are in cache instead of on a whole resized image.
         */
        void run(byte[] src, Scratch scratch, RowSink sink) {
            final int stride = dstWidth * 3;
            if (!horizontal && !vertical) {
                byte[] line = scratch.line(stride);
                for (int y = 0; y < dstHeight; y++) {
                    System.arraycopy(src, y * stride, line, 0, stride);
                    sink.row(y, line);
                }
                return;
            }
            byte[] rows; // the rows the vertical pass reads, starting at source row rowFirst
            int rowsOffset;
            if (horizontal) {
                int n = vertical ? rowCount : dstHeight;
                rows = scratch.temp(n * stride);
                horizontalPass(src, rows, scratch.longs(srcWidth), scratch.row(srcWidth));
                rowsOffset = 0;
                if (!vertical) {
                    byte[] line = scratch.line(stride);
                    for (int y = 0; y < dstHeight; y++) {
                        System.arraycopy(rows, y * stride, line, 0, stride);
                        sink.row(y, line);
                    }
                    return;
                }
            } else {
                rows = src;
                rowsOffset = rowFirst * srcWidth * 3;
            }
            verticalPass(rows, rowsOffset, scratch.acc(stride), scratch.line(stride), sink);
        }

        /**
         * Pillow's horizontal pass over the rows the vertical pass needs. R and G share one long per
         * pixel ({@code R·2³² + G}), so one 64-bit multiply-add per tap does both channels' sums,
         * {@code ΣR·2³² + ΣG}, exactly: each true sum fits in an int, as in Pillow, so the low word is
         * ΣG as a signed int and the rest, shifted down, is ΣR.
         */
        private void horizontalPass(byte[] src, byte[] dst, long[] rg, int[] b) {
            final int rows = vertical ? rowCount : dstHeight;
            final int startRow = vertical ? rowFirst : 0;
            final int ksize = xAxis.ksize;
            final int[] first = xAxis.first;
            final int[] count = xAxis.count;
            final int[] w = xAxis.weights;
            final int sw = srcWidth;
            final int srcStride = sw * 3;
            final long half2 = ((long) HALF << 32) + HALF;
            int o = 0;
            for (int y = 0; y < rows; y++) {
                // Widen the row once so the taps below are plain multiply-adds on consecutive elements.
                for (int x = 0, i = (y + startRow) * srcStride; x < sw; x++, i += 3) {
                    rg[x] = ((long) (src[i] & 0xff) << 32) | (src[i + 1] & 0xff);
                    b[x] = src[i + 2] & 0xff;
                }
                for (int xx = 0; xx < dstWidth; xx++) {
                    final int p = first[xx];
                    final int kb = xx * ksize;
                    final int n = count[xx];
                    long s01 = half2;
                    int s2 = HALF;
                    for (int k = 0; k < n; k++) {
                        int kv = w[kb + k];
                        s01 += rg[p + k] * kv;
                        s2 += b[p + k] * kv;
                    }
                    int s1 = (int) s01;
                    int s0 = (int) ((s01 - s1) >> 32);
                    dst[o] = clip8(s0);
                    dst[o + 1] = clip8(s1);
                    dst[o + 2] = clip8(s2);
                    o += 3;
                }
            }
        }

        private void verticalPass(byte[] rows, int rowsOffset, int[] acc, byte[] line, RowSink sink) {
            final int ksize = yAxis.ksize;
            final int stride = dstWidth * 3;
            final int[] w = yAxis.weights;
            for (int yy = 0; yy < dstHeight; yy++) {
                int n = yAxis.count[yy];
                int kb = yy * ksize;
                // bounds are relative to rowFirst, as Pillow shifts them for the cropped temp image
                int r = rowsOffset + (yAxis.first[yy] - rowFirst) * stride;
                // Integer sums are exact, so accumulating row by row equals Pillow's per-pixel order;
                // two taps per sweep halve the loads and stores of acc.
                int y = 0;
                if (n >= 2) {
                    int k0 = w[kb];
                    int k1 = w[kb + 1];
                    int r1 = r + stride;
                    for (int i = 0; i < stride; i++) {
                        acc[i] = HALF + (rows[r + i] & 0xff) * k0 + (rows[r1 + i] & 0xff) * k1;
                    }
                    y = 2;
                    r += 2 * stride;
                } else {
                    java.util.Arrays.fill(acc, 0, stride, HALF);
                }
                for (; y + 1 < n; y += 2, r += 2 * stride) {
                    int k0 = w[kb + y];
                    int k1 = w[kb + y + 1];
                    int r1 = r + stride;
                    for (int i = 0; i < stride; i++) {
                        acc[i] += (rows[r + i] & 0xff) * k0 + (rows[r1 + i] & 0xff) * k1;
                    }
                }
                if (y < n) {
                    int k0 = w[kb + y];
                    for (int i = 0; i < stride; i++) {
                        acc[i] += (rows[r + i] & 0xff) * k0;
                    }
                }
                for (int i = 0; i < stride; i++) {
                    line[i] = clip8(acc[i]);
                }
                sink.row(yy, line);
            }
        }
    }

    /** Receives output rows; the array is reused for the next row. */
    @FunctionalInterface
    interface RowSink {
        /** Row {@code y}: dstWidth×3 interleaved bytes from index 0 of {@code rgb}. */
        void row(int y, byte[] rgb);
    }

    private static byte clip8(int v) {
        int s = v >> PRECISION_BITS;
        return (byte) (s < 0 ? 0 : Math.min(s, 255));
    }
}
