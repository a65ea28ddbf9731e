package dev.siglipstream.siglip.image;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * transformers' {@code SiglipImageProcessor} after {@code load_image}: decode, resize to exactly
 * {@code height × width} with Pillow's filter, {@code float32(uint8 * rescale_factor)} (product in
 * double), {@code (x - mean) / std} in float32, HWC → CHW.
 *
 * <p>Thread-safe; each thread keeps its own scratch buffers, decoded-pixel buffer and last resize
 * plan, so steady-state preprocessing of same-size images allocates no pixel memory. Pixels go from
 * ImageIO's raster through the resize straight into {@code dst}: each resized row is normalised and
 * written to its three channel planes while it is in cache, with no whole-image intermediate.
 *
 * <p>Usage:
 * <pre>{@code
 * var processor = new SiglipImageProcessor(ImageProcessorConfig.load(dir.resolve("preprocessor_config.json")),
 *         ImageDecoder.DEFAULT_MAX_PIXELS);
 * PixelBatch batch = processor.preprocess(List.of(jpegBytes, pngBytes));
 * }</pre>
 */
public final class SiglipImageProcessor {
    private final ImageProcessorConfig config;
    private final ImageDecoder decoder;
    private final DecodeMode decodeMode;
    /** value[c][v] = the float32 transformers computes for uint8 v in channel c. */
    private final float[][] lut = new float[3][256];
    private final ThreadLocal<Worker> workers = ThreadLocal.withInitial(Worker::new);

    public SiglipImageProcessor(ImageProcessorConfig config, long maxPixels) {
        this(config, maxPixels, DecodeMode.EXACT);
    }

    /** With {@link DecodeMode#FAST}, large JPEGs are decoded at a reduced scale first; see {@link DecodeMode}. */
    public SiglipImageProcessor(ImageProcessorConfig config, long maxPixels, DecodeMode decodeMode) {
        this.config = java.util.Objects.requireNonNull(config, "config");
        this.decoder = new ImageDecoder(maxPixels);
        this.decodeMode = java.util.Objects.requireNonNull(decodeMode, "decodeMode");
        float[] mean = config.imageMean();
        float[] std = config.imageStd();
        for (int c = 0; c < 3; c++) {
            for (int v = 0; v < 256; v++) {
                float x = config.doRescale() ? (float) (v * config.rescaleFactor()) : (float) v;
                if (config.doNormalize()) {
                    // numpy float32 arithmetic: subtract and divide each rounded to float32.
                    x = (x - mean[c]) / std[c];
                }
                lut[c][v] = x;
            }
        }
    }

    public int height() {
        return config.height();
    }

    public int width() {
        return config.width();
    }

    public ImageProcessorConfig config() {
        return config;
    }

    public DecodeMode decodeMode() {
        return decodeMode;
    }

    /** This processor (same configuration and pixel limit) decoding in {@code mode}. */
    public SiglipImageProcessor withDecodeMode(DecodeMode mode) {
        return mode == decodeMode ? this : new SiglipImageProcessor(config, decoder.maxPixels(), mode);
    }

    /** Decodes like {@code load_image}; see {@link ImageDecoder}. */
    public RgbImage decode(byte[] encoded) throws ImageDecodeException {
        return decoder.decode(encoded);
    }

    /** Decodes and preprocesses one image into {@code dst}: 3 × height × width floats, CHW. */
    public void preprocess(byte[] encoded, FloatBuffer dst) throws ImageDecodeException {
        preprocess(decodeForResize(encoded), dst);
    }

    /** The decoded image this processor resizes: full size, or in FAST mode possibly reduced. */
    private RgbImage decodeForResize(byte[] encoded) throws ImageDecodeException {
        return decodeMode == DecodeMode.FAST && config.doResize()
                ? decoder.decodeReduced(encoded, 2 * config.width(), 2 * config.height())
                : decoder.decodeTransient(encoded);
    }

    /**
     * Writes 3 × height × width floats (CHW) at {@code dst}'s position and advances it.
     *
     * @throws IllegalArgumentException when {@code do_resize} is off and the image is not already
     *     height × width, or {@code dst} has too little room
     */
    public void preprocess(RgbImage image, FloatBuffer dst) {
        int h = config.height();
        int w = config.width();
        int plane = h * w;
        if (dst.remaining() < 3 * plane) {
            throw new IllegalArgumentException("dst has " + dst.remaining()
                    + " floats remaining, need 3*" + h + "*" + w + " = " + 3 * plane);
        }
        Worker worker = workers.get();
        if (image.width() == w && image.height() == h) {
            // Pillow returns a copy for a same-size resize: normalise the pixels as they are.
            worker.begin(dst, w, plane);
            byte[] rgb = image.rgb();
            for (int y = 0; y < h; y++) worker.row(y, rgb, y * w * 3);
        } else if (!config.doResize()) {
            throw new IllegalArgumentException("do_resize is false and the image is "
                    + image.width() + "x" + image.height() + ", expected " + w + "x" + h);
        } else {
            worker.begin(dst, w, plane);
            worker.plan(image, w, h, config.resample()).run(image.rgb(), worker.scratch, worker);
        }
        worker.end();
        dst.position(dst.position() + 3 * plane);
    }

    /**
     * Decodes and preprocesses every image into one NCHW batch, in order.
     *
     * @throws ImageDecodeException for the first image that cannot be decoded; its message starts
     *     with {@code "image <index>: "}
     */
    public PixelBatch preprocess(List<byte[]> images) throws ImageDecodeException {
        int h = config.height();
        int w = config.width();
        FloatBuffer buf = allocate(images.size(), h, w);
        for (int i = 0; i < images.size(); i++) {
            RgbImage img;
            try {
                img = decodeForResize(images.get(i));
            } catch (ImageDecodeException e) {
                throw new ImageDecodeException(e.reason(), "image " + i + ": " + e.getMessage(), e);
            }
            preprocess(img, buf);
        }
        buf.flip();
        return new PixelBatch(buf, images.size(), h, w);
    }

    /** A direct, native-order buffer for {@code count × 3 × height × width} floats. */
    public static FloatBuffer allocate(int count, int height, int width) {
        long n = (long) count * 3 * height * width;
        if (count < 0 || height <= 0 || width <= 0 || n * 4 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cannot allocate a batch of " + count + "x3x" + height
                    + "x" + width + " floats");
        }
        return ByteBuffer.allocateDirect((int) (n * 4)).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /**
     * Per-thread scratch: the last resize plan (images of one size reuse it), work buffers, and the
     * row sink that normalises resized rows into the destination's three planes.
     */
    private final class Worker implements PillowResize.RowSink {
        final PillowResize.Scratch scratch = new PillowResize.Scratch();
        private PillowResize.Plan plan;
        private FloatBuffer dst;
        private int base;
        private int width;
        private int plane;
        private float[] line;

        PillowResize.Plan plan(RgbImage image, int w, int h, int resample) {
            if (plan == null || !plan.matches(image.width(), image.height(), w, h, resample)) {
                plan = PillowResize.Plan.of(image.width(), image.height(), w, h, resample);
            }
            return plan;
        }

        void begin(FloatBuffer dst, int width, int plane) {
            this.dst = dst;
            this.base = dst.position();
            this.width = width;
            this.plane = plane;
            this.line = scratch.floats(3 * width);
        }

        void end() {
            dst = null; // do not keep the caller's buffer alive
        }

        @Override
        public void row(int y, byte[] rgb) {
            row(y, rgb, 0);
        }

        /** Normalises one row of interleaved RGB through the LUT and writes it to the three planes. */
        void row(int y, byte[] rgb, int offset) {
            final int w = width;
            final float[] out = line;
            final float[] l0 = lut[0];
            final float[] l1 = lut[1];
            final float[] l2 = lut[2];
            for (int x = 0, p = offset; x < w; x++, p += 3) {
                out[x] = l0[rgb[p] & 0xff];
                out[w + x] = l1[rgb[p + 1] & 0xff];
                out[2 * w + x] = l2[rgb[p + 2] & 0xff];
            }
            int o = base + y * w;
            dst.put(o, out, 0, w);
            dst.put(o + plane, out, w, w);
            dst.put(o + 2 * plane, out, 2 * w, w);
        }
    }
}
