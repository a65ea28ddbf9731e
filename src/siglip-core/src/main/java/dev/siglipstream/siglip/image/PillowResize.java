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
    /** Source rows the horizontal pass turns on their side at a time. */
    static final int BLOCK = 48;

    /** Work buffers of {@link #resize}, per thread (a 640×480 source needs about 2 MB of them). */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private PillowResize() {}

    /** {@code src.resize((width, height), Image.BICUBIC)}. */
    public static RgbImage bicubic(RgbImage src, int width, int height) {
        return resize(src, width, height, ImageProcessorConfig.RESAMPLE_BICUBIC);
    }

    /** {@code src.resize((width, height), resample)} for resample 2 (bilinear) or 3 (bicubic). */
    static RgbImage resize(RgbImage src, int width, int height, int resample) {
        Plan plan = Plan.of(src.width(), src.height(), width, height, resample);
        byte[] out = new byte[width * height * 3];
        plan.run(src.rgb(), out, SCRATCH.get());
        return new RgbImage(width, height, out);
    }

    /** Reusable work buffers; one per thread. */
    static final class Scratch {
        private int[][] side = new int[0][0];
        private int[][] rows = new int[0][0];
        private int[] acc = new int[0];
        private byte[] line = new byte[0];
        private float[] floats = new float[0];

        /** The horizontal pass's source columns of one block. */
        int[][] side(int count, int length) {
            side = atLeast(side, count, length);
            return side;
        }

        /** The horizontal pass's output rows, which the vertical pass reads. */
        int[][] rows(int count, int length) {
            rows = atLeast(rows, count, length);
            return rows;
        }

        private static int[][] atLeast(int[][] a, int count, int length) {
            if (a.length >= count && (count == 0 || a[0].length >= length)) return a;
            return new int[Math.max(count, a.length)][Math.max(length, a.length == 0 ? 0 : a[0].length)];
        }

        byte[] line(int n) {
            if (line.length < n) line = new byte[n];
            return line;
        }

        float[] floats(int n) {
            if (floats.length < n) floats = new float[n];
            return floats;
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
            // the rows the vertical pass reads, starting at source row rowFirst
            final int[][] rows = scratch.rows(vertical ? rowCount : dstHeight, stride);
            if (horizontal) {
                horizontalPass(src, rows, scratch);
            } else {
                for (int y = 0; y < rowCount; y++) {
                    final int[] row = rows[y];
                    for (int i = 0, j = (rowFirst + y) * stride; i < stride; i++, j++) row[i] = src[j] & 0xff;
                }
            }
            byte[] line = scratch.line(stride);
            if (!vertical) {
                for (int y = 0; y < dstHeight; y++) {
                    final int[] row = rows[y];
                    for (int i = 0; i < stride; i++) line[i] = (byte) row[i];
                    sink.row(y, line);
                }
                return;
            }
            verticalPass(rows, scratch.acc(stride), line, sink);
        }

        /**
         * Pillow's horizontal pass over the rows the vertical pass needs, {@link #BLOCK} rows at a
         * time, into {@code out[y]} (one int per channel, 0..255). Each block is first turned on its
         * side: source column x becomes the array {@code side[x]} of the block's {@code rows × 3}
         * samples. An output column is then a weighted sum of whole arrays, indexed alike, which the
         * JIT vectorises; Pillow's per-pixel dot products would not be. Integer sums are exact, so
         * the order does not change the result.
         */
        private void horizontalPass(byte[] src, int[][] out, Scratch scratch) {
            final int rows = vertical ? rowCount : dstHeight;
            final int startRow = vertical ? rowFirst : 0;
            final int ksize = xAxis.ksize;
            final int[] first = xAxis.first;
            final int[] count = xAxis.count;
            final int[] w = xAxis.weights;
            final int sw = srcWidth;
            final int srcStride = sw * 3;
            final int[][] side = scratch.side(sw, BLOCK * 3);
            final int[] acc = scratch.acc(BLOCK * 3);
            for (int y0 = 0; y0 < rows; y0 += BLOCK) {
                final int n = Math.min(BLOCK, rows - y0);
                final int run = n * 3;
                for (int x = 0; x < sw; x++) {
                    final int[] column = side[x];
                    for (int r = 0, i = (startRow + y0) * srcStride + x * 3; r < run; r += 3, i += srcStride) {
                        column[r] = src[i] & 0xff;
                        column[r + 1] = src[i + 1] & 0xff;
                        column[r + 2] = src[i + 2] & 0xff;
                    }
                }
                for (int xx = 0; xx < dstWidth; xx++) {
                    weightedSum(side, first[xx], w, xx * ksize, count[xx], acc, run);
                    final int o = xx * 3;
                    for (int r = 0; r < n; r++) {
                        final int[] line = out[y0 + r];
                        line[o] = clip(acc[3 * r]);
                        line[o + 1] = clip(acc[3 * r + 1]);
                        line[o + 2] = clip(acc[3 * r + 2]);
                    }
                }
            }
        }

        /** Pillow's vertical pass over the horizontal pass's rows (ints 0..255, dstWidth × 3 each). */
        private void verticalPass(int[][] rows, int[] acc, byte[] line, RowSink sink) {
            final int ksize = yAxis.ksize;
            final int stride = dstWidth * 3;
            final int[] w = yAxis.weights;
            for (int yy = 0; yy < dstHeight; yy++) {
                // bounds are relative to rowFirst, as Pillow shifts them for the cropped temp image
                weightedSum(rows, yAxis.first[yy] - rowFirst, w, yy * ksize, yAxis.count[yy], acc, stride);
                for (int i = 0; i < stride; i++) {
                    line[i] = (byte) clip(acc[i]);
                }
                sink.row(yy, line);
            }
        }
    }

    /**
     * {@code acc[i] = HALF + Σ_k weights[kb + k] · src[p + k][i]} for i below {@code length}: whole
     * arrays indexed alike, two taps per sweep, so the JIT vectorises it. Integer sums are exact, so
     * this equals Pillow's per-pixel order.
     */
    private static void weightedSum(int[][] src, int p, int[] weights, int kb, int taps, int[] acc, int length) {
        int k = 0;
        if (taps >= 2) {
            final int[] a = src[p];
            final int[] b = src[p + 1];
            final int k0 = weights[kb];
            final int k1 = weights[kb + 1];
            for (int i = 0; i < length; i++) acc[i] = HALF + a[i] * k0 + b[i] * k1;
            k = 2;
        } else {
            java.util.Arrays.fill(acc, 0, length, HALF);
        }
        for (; k + 1 < taps; k += 2) {
            final int[] a = src[p + k];
            final int[] b = src[p + k + 1];
            final int k0 = weights[kb + k];
            final int k1 = weights[kb + k + 1];
            for (int i = 0; i < length; i++) acc[i] += a[i] * k0 + b[i] * k1;
        }
        if (k < taps) {
            final int[] a = src[p + k];
            final int k0 = weights[kb + k];
            for (int i = 0; i < length; i++) acc[i] += a[i] * k0;
        }
    }

    /** Receives output rows; the array is reused for the next row. */
    @FunctionalInterface
    interface RowSink {
        /** Row {@code y}: dstWidth×3 interleaved bytes from index 0 of {@code rgb}. */
        void row(int y, byte[] rgb);
    }

    /** Pillow's clip8: the fixed-point sum rounded (HALF was added up front) and clamped to 0..255. */
    private static int clip(int v) {
        int s = v >> PRECISION_BITS;
        return s < 0 ? 0 : Math.min(s, 255);
    }
}
