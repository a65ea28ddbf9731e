package dev.siglipstream.siglip.image;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.util.Iterator;
import java.util.Objects;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageInputStreamImpl;

/**
 * Turns encoded image bytes into 8-bit RGB exactly as transformers' {@code load_image} does with
 * Pillow: EXIF orientation applied, then {@code convert("RGB")} (alpha dropped without
 * compositing, palettes expanded with transparency ignored, greyscale replicated, 16-bit greyscale
 * clipped to 0..255, 16-bit colour reduced to its high byte, CMYK converted with Pillow's formula).
 *
 * <p>Reads JPEG, PNG, GIF (first frame), BMP, TIFF (JDK ImageIO) and WebP (TwelveMonkeys). The
 * pixel limit is checked from the header before any pixel is decoded. Thread-safe: each thread
 * keeps its own JPEG reader (created on first use, replaced after a failed read); other formats get
 * a fresh ImageIO reader per call.
 *
 * <p>Colour JPEGs without an ICC profile (the common case) are decoded by ImageIO straight into an
 * RGB-ordered byte raster that becomes the {@link RgbImage}'s array: no BGR image, no copy.
 *
 * <p>Usage: {@code RgbImage img = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS).decode(bytes);}
 */
public final class ImageDecoder {
    static {
        dev.siglipstream.siglip.internal.NativeRelease.initImageIoOutsideCallersLoader();
    }
    /**
     * Pillow's decompression-bomb error threshold: {@code 2 * Image.MAX_IMAGE_PIXELS} = 2 × 89,478,485
     * (Pillow only warns between 1× and 2×).
     */
    public static final long DEFAULT_MAX_PIXELS = 2L * 89_478_485L;

    /** The sRGB, 8-bit, R-G-B interleaved colour model of the rasters JPEGs are decoded into. */
    private static final ColorModel RGB_MODEL = new ComponentColorModel(
            ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false, Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
    private static final int[] RGB_OFFSETS = {0, 1, 2};

    private final long maxPixels;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    public ImageDecoder(long maxPixels) {
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be positive, got " + maxPixels);
        }
        this.maxPixels = maxPixels;
    }

    public long maxPixels() {
        return maxPixels;
    }

    /** Decodes one image; never throws an unchecked exception for bad input. The caller owns the pixels. */
    public RgbImage decode(byte[] encoded) throws ImageDecodeException {
        return decode(encoded, false);
    }

    /**
     * Like {@link #decode(byte[])}, but the pixels may live in a buffer this thread reuses: they stay
     * valid only until this thread's next {@code decodeTransient} call on this decoder. For callers
     * that consume the image at once (the preprocessor), so a stream of same-size images allocates
     * no pixel memory.
     */
    public RgbImage decodeTransient(byte[] encoded) throws ImageDecodeException {
        return decode(encoded, true);
    }

    /**
     * For {@link DecodeMode#FAST}: a baseline JPEG is decoded at the largest of 1/8, 1/4, 1/2 scale
     * that keeps it at least {@code minWidth × minHeight} (before EXIF orientation; Pillow's
     * {@code draft("RGB", (minWidth, minHeight))} rule) when that scale is 1/4 or 1/8; anything else
     * is decoded exactly, as {@link #decodeTransient}. Orientation is applied; the pixel limit is checked against
     * the full size. Same lifetime rules as {@code decodeTransient}.
     */
    RgbImage decodeReduced(byte[] encoded, int minWidth, int minHeight) throws ImageDecodeException {
        if (encoded != null && Orientation.isJpeg(encoded)) {
            Scratch s = scratch.get();
            int[] size;
            try {
                size = s.scaled.size(encoded);
            } catch (RuntimeException e) {
                size = null;
            }
            if (size != null) {
                checkSize(Format.JPEG, size[0], size[1]);
                int scale = ScaledJpegDecoder.draftScale(size[0], size[1], minWidth, minHeight);
                // At 1/2 the Java entropy decoding costs about what ImageIO's native full decode does:
                // only 1/4 and 1/8 pay, so a 1/2 image is decoded exactly.
                if (scale >= ScaledJpegDecoder.MIN_PAYING_SCALE) {
                    RgbImage small;
                    try {
                        small = s.scaled.decode(encoded, scale);
                    } catch (RuntimeException e) {
                        small = null; // corrupt data: the exact decoder says what is wrong with it
                    }
                    if (small != null) return Orientation.apply(small, Orientation.find(encoded));
                }
            }
        }
        return decode(encoded, true);
    }

    private RgbImage decode(byte[] encoded, boolean reuse) throws ImageDecodeException {
        if (encoded == null || encoded.length == 0) {
            throw new ImageDecodeException(ImageDecodeException.Reason.EMPTY, "image is empty (0 bytes)");
        }
        Format format = Format.sniff(encoded);
        if (format == null) {
            throw new ImageDecodeException(ImageDecodeException.Reason.UNSUPPORTED_FORMAT,
                    "not a supported image format (JPEG, PNG, GIF, BMP, TIFF, WebP); first bytes: "
                            + hexPrefix(encoded) + ", " + encoded.length + " bytes in all");
        }
        RgbImage rgb;
        try {
            int jpegComponents = format == Format.JPEG ? JpegInfo.components(encoded) : -1;
            rgb = jpegComponents == 3 && !JpegInfo.hasIccProfile(encoded)
                    ? readJpegRgb(encoded, reuse)
                    : read(encoded, format, jpegComponents);
        } catch (ImageDecodeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ImageDecodeException(ImageDecodeException.Reason.CORRUPT,
                    format.label + " image is corrupt or truncated (" + encoded.length + " bytes): "
                            + e.getMessage(), e);
        }
        return Orientation.apply(rgb, Orientation.find(encoded));
    }

    /**
     * A 3-component JPEG without an ICC profile: libjpeg's YCbCr → RGB output lands directly in an
     * R-G-B interleaved raster whose array is the result (ImageIO's default BGR image would need a
     * per-pixel band swap while reading and a copy after).
     */
    private RgbImage readJpegRgb(byte[] encoded, boolean reuse) throws IOException, ImageDecodeException {
        Scratch s = scratch.get();
        ImageReader reader = s.jpegReader();
        boolean ok = false;
        try {
            reader.setInput(s.input(encoded), true, true);
            int w = reader.getWidth(0);
            int h = reader.getHeight(0);
            checkSize(Format.JPEG, w, h);
            int n = Math.multiplyExact(Math.multiplyExact(w, h), 3);
            byte[] px = reuse ? s.pixels(n) : new byte[n];
            ImageReadParam param = reader.getDefaultReadParam();
            param.setDestination(new BufferedImage(RGB_MODEL, Raster.createInterleavedRaster(
                    new DataBufferByte(px, n), w, h, w * 3, 3, RGB_OFFSETS, null), false, null));
            s.watch.truncated = null;
            reader.read(0, param);
            checkTruncation(Format.JPEG, encoded, s.watch);
            ok = true;
            return new RgbImage(w, h, px);
        } finally {
            s.releaseInput(); // drop the reference to the encoded bytes
            if (ok) {
                reader.setInput(null);
            } else {
                s.discardJpegReader(); // a failed read may leave libjpeg's state half-reset
            }
        }
    }

    private void checkSize(Format format, int w, int h) throws ImageDecodeException {
        if (w <= 0 || h <= 0) {
            throw new ImageDecodeException(ImageDecodeException.Reason.CORRUPT,
                    format.label + " header gives an empty size " + w + "x" + h);
        }
        long pixels = (long) w * h;
        if (pixels > maxPixels) {
            throw new ImageDecodeException(ImageDecodeException.Reason.TOO_LARGE,
                    "image is " + w + "x" + h + " = " + pixels
                            + " pixels, over the limit of " + maxPixels);
        }
    }

    private static void checkTruncation(Format format, byte[] encoded, TruncationWatch watch)
            throws ImageDecodeException {
        if (watch.truncated != null && !endsWithEoi(encoded)) {
            // Pillow refuses truncated files ("image file is truncated"); ImageIO pads them grey.
            throw new ImageDecodeException(ImageDecodeException.Reason.CORRUPT,
                    format.label + " image is truncated (" + encoded.length + " bytes): "
                            + watch.truncated);
        }
    }

    private RgbImage read(byte[] encoded, Format format, int jpegComponents)
            throws IOException, ImageDecodeException {
        ImageReader reader = format.newReader();
        if (reader == null) {
            throw new ImageDecodeException(ImageDecodeException.Reason.UNSUPPORTED_FORMAT,
                    "no " + format.label + " reader is available on the class path");
        }
        try (ImageInputStream in = new ByteArrayImageInputStream(encoded)) {
            reader.setInput(in, true, true);
            checkSize(format, reader.getWidth(0), reader.getHeight(0));
            TruncationWatch watch = new TruncationWatch();
            reader.addIIOReadWarningListener(watch);
            RgbImage out;
            if (jpegComponents == 4) {
                // ImageIO cannot make a BufferedImage of CMYK; the raster carries the decoded samples.
                out = cmykToRgb(reader.readRaster(0, null), JpegInfo.adobeTransform(encoded));
            } else if ((jpegComponents == 3 || jpegComponents == 1) && JpegInfo.hasIccProfile(encoded)) {
                // With an ICC profile, read() colour-converts into sRGB (tens of levels); Pillow ignores
                // the profile. readRaster() is unconverted: do libjpeg's YCbCr -> RGB here.
                out = rasterToRgb(reader.readRaster(0, null), JpegInfo.isYcc(encoded));
            } else {
                BufferedImage bi = reader.read(0);
                out = toRgb(bi.getRaster(), bi.getColorModel(), format);
            }
            checkTruncation(format, encoded, watch);
            return out;
        } finally {
            reader.dispose();
        }
    }

    /** Pillow's {@code convert("RGB")} on the samples ImageIO decoded. */
    static RgbImage toRgb(Raster r, ColorModel cm, Format format) {
        int w = r.getWidth();
        int h = r.getHeight();
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(w, h), 3)];
        if (cm instanceof IndexColorModel icm) {
            int n = icm.getMapSize();
            byte[] pr = new byte[256];
            byte[] pg = new byte[256];
            byte[] pb = new byte[256];
            icm.getReds(pr);
            icm.getGreens(pg);
            icm.getBlues(pb);
            int[] row = new int[w];
            int o = 0;
            for (int y = 0; y < h; y++) {
                r.getSamples(r.getMinX(), r.getMinY() + y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int i = row[x];
                    // Pillow's palettes have 256 entries, black beyond what the file defines.
                    if (i < n && i < 256) {
                        out[o] = pr[i];
                        out[o + 1] = pg[i];
                        out[o + 2] = pb[i];
                    }
                    o += 3;
                }
            }
            return new RgbImage(w, h, out);
        }
        int bands = r.getNumBands();
        int colours = cm != null ? cm.getNumColorComponents() : Math.min(bands, 3);
        if (colours == 3 && fastByteCopy(r, out)) {
            return new RgbImage(w, h, out);
        }
        int bits = r.getSampleModel().getSampleSize(0);
        boolean hasAlpha = bands > colours;
        int[] row = new int[w];
        if (colours == 1) {
            for (int y = 0; y < h; y++) {
                r.getSamples(r.getMinX(), r.getMinY() + y, w, 1, 0, row);
                int o = y * w * 3;
                for (int x = 0; x < w; x++, o += 3) {
                    byte v = (byte) grey(row[x], bits, hasAlpha);
                    out[o] = v;
                    out[o + 1] = v;
                    out[o + 2] = v;
                }
            }
        } else {
            for (int c = 0; c < 3; c++) {
                int cb = bits(r, c);
                for (int y = 0; y < h; y++) {
                    r.getSamples(r.getMinX(), r.getMinY() + y, w, 1, c, row);
                    int o = y * w * 3 + c;
                    for (int x = 0; x < w; x++, o += 3) {
                        out[o] = (byte) colour(row[x], cb);
                    }
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    private static int bits(Raster r, int band) {
        return r.getSampleModel().getSampleSize(band);
    }

    /** Pillow: 16-bit grey opens as mode I and is clipped; 16-bit grey+alpha (LA;16B) keeps the high byte. */
    private static int grey(int v, int bits, boolean hasAlpha) {
        if (bits == 8) return v;
        if (bits > 8) return hasAlpha ? v >>> (bits - 8) : Math.min(v, 255);
        return v * 255 / ((1 << bits) - 1); // 1/2/4-bit greyscale is scaled up (Pillow's L;2, L;4)
    }

    /** Pillow unpacks 16-bit colour (RGB;16B) by keeping the high byte. */
    private static int colour(int v, int bits) {
        if (bits == 8) return v;
        if (bits > 8) return v >>> (bits - 8);
        return v * 255 / ((1 << bits) - 1);
    }

    /** Interleaved 8-bit rasters (JPEG, most PNG and BMP): one pass over the backing array. */
    private static boolean fastByteCopy(Raster r, byte[] out) {
        if (!(r.getDataBuffer() instanceof DataBufferByte db)
                || !(r.getSampleModel() instanceof ComponentSampleModel sm)
                || db.getNumBanks() != 1 || r.getMinX() != 0 || r.getMinY() != 0
                || r.getSampleModelTranslateX() != 0 || r.getSampleModelTranslateY() != 0) {
            return false;
        }
        int[] offs = sm.getBandOffsets();
        for (int i = 0; i < 3; i++) {
            if (sm.getSampleSize(i) != 8 || sm.getBankIndices()[i] != 0) return false;
        }
        byte[] src = db.getData();
        int ps = sm.getPixelStride();
        int ss = sm.getScanlineStride();
        int base = db.getOffset();
        int w = r.getWidth();
        int h = r.getHeight();
        int o0 = offs[0];
        int o1 = offs[1];
        int o2 = offs[2];
        int o = 0;
        for (int y = 0; y < h; y++) {
            int p = base + y * ss;
            for (int x = 0; x < w; x++, p += ps) {
                out[o++] = src[p + o0];
                out[o++] = src[p + o1];
                out[o++] = src[p + o2];
            }
        }
        return true;
    }

    /**
     * CMYK JPEG as Pillow reads it: libjpeg's CMYK (YCCK converted to CMYK), inverted ("CMYK;I",
     * Adobe's convention), then Pillow's cmyk2rgb {@code R = clip(nk - nk*C/255)} with {@code nk = 255 - K}.
     */
    private static RgbImage cmykToRgb(Raster r, int adobeTransform) {
        int w = r.getWidth();
        int h = r.getHeight();
        byte[] out = new byte[w * h * 3];
        int[] px = new int[4 * w];
        for (int y = 0; y < h; y++) {
            r.getPixels(r.getMinX(), r.getMinY() + y, w, 1, px);
            int o = y * w * 3;
            for (int x = 0; x < w; x++) {
                int p = x * 4;
                int c0 = px[p];
                int c1 = px[p + 1];
                int c2 = px[p + 2];
                int k = px[p + 3];
                if (adobeTransform == 2) {
                    // ImageIO hands YCCK back unconverted; libjpeg would give CMYK = 255 - RGB(YCC), K.
                    int yy = c0;
                    int cb = c1;
                    int cr = c2;
                    c0 = 255 - Ycc.red(yy, cr);
                    c1 = 255 - Ycc.green(yy, cb, cr);
                    c2 = 255 - Ycc.blue(yy, cb);
                }
                // Pillow inverts every channel (C = 255 - c, K = 255 - k), so nk = 255 - K = k.
                int nk = k;
                out[o++] = (byte) cmyk(255 - c0, nk);
                out[o++] = (byte) cmyk(255 - c1, nk);
                out[o++] = (byte) cmyk(255 - c2, nk);
            }
        }
        return new RgbImage(w, h, out);
    }

    /** A 3-band JPEG raster (upsampled, not colour-converted) to RGB, as libjpeg would output it. */
    private static RgbImage rasterToRgb(Raster r, boolean ycc) {
        int w = r.getWidth();
        int h = r.getHeight();
        byte[] out = new byte[w * h * 3];
        if (r.getNumBands() == 1) {
            return toRgb(r, null, Format.JPEG);
        }
        int[] px = new int[3 * w];
        int o = 0;
        for (int y = 0; y < h; y++) {
            r.getPixels(r.getMinX(), r.getMinY() + y, w, 1, px);
            for (int x = 0; x < 3 * w; x += 3) {
                if (ycc) {
                    out[o++] = (byte) Ycc.red(px[x], px[x + 2]);
                    out[o++] = (byte) Ycc.green(px[x], px[x + 1], px[x + 2]);
                    out[o++] = (byte) Ycc.blue(px[x], px[x + 1]);
                } else {
                    out[o++] = (byte) px[x];
                    out[o++] = (byte) px[x + 1];
                    out[o++] = (byte) px[x + 2];
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    /** Pillow's {@code CLIP8(nk - MULDIV255(c, nk))}. */
    private static int cmyk(int c, int nk) {
        int tmp = c * nk + 128;
        int v = nk - (((tmp >> 8) + tmp) >> 8);
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** libjpeg's fixed-point YCbCr → RGB (jdcolor.c), used for YCCK JPEGs. */
    static final class Ycc {
        private static final int SCALEBITS = 16;
        private static final int ONE_HALF = 1 << (SCALEBITS - 1);
        private static final int[] CR_R = new int[256];
        private static final int[] CB_B = new int[256];
        private static final int[] CR_G = new int[256];
        private static final int[] CB_G = new int[256];

        static {
            for (int i = 0; i < 256; i++) {
                int x = i - 128;
                CR_R[i] = (fix(1.40200) * x + ONE_HALF) >> SCALEBITS;
                CB_B[i] = (fix(1.77200) * x + ONE_HALF) >> SCALEBITS;
                CR_G[i] = -fix(0.71414) * x;
                CB_G[i] = -fix(0.34414) * x + ONE_HALF;
            }
        }

        private static int fix(double v) {
            return (int) (v * (1L << SCALEBITS) + 0.5);
        }

        static int red(int y, int cr) {
            return clamp(y + CR_R[cr]);
        }

        static int green(int y, int cb, int cr) {
            return clamp(y + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS));
        }

        static int blue(int y, int cb) {
            return clamp(y + CB_B[cb]);
        }

        private static int clamp(int v) {
            return v < 0 ? 0 : Math.min(v, 255);
        }
    }

    /** The few JPEG header facts ImageIO does not expose before decoding. */
    static final class JpegInfo {
        private JpegInfo() {}

        /** Number of components in the first SOF segment, or -1. */
        static int components(byte[] b) {
            int[] r = scan(b);
            return r[0];
        }

        /** Whether an APP2 ICC_PROFILE segment is present. */
        static boolean hasIccProfile(byte[] b) {
            return scan(b)[2] == 1;
        }

        /**
         * libjpeg's guess for 3 components: JFIF → YCbCr; Adobe transform 0 → RGB, else YCbCr;
         * no marker → RGB only for component ids 'R','G','B'.
         */
        static boolean isYcc(byte[] b) {
            int[] r = scan(b);
            if (r[3] == 1) return true;
            if (r[1] >= 0) return r[1] != 0;
            return r[4] != 1;
        }

        /** The Adobe APP14 transform flag (0 = none/CMYK, 1 = YCbCr, 2 = YCCK), or -1 without one. */
        static int adobeTransform(byte[] b) {
            return scan(b)[1];
        }

        private static int[] scan(byte[] b) {
            int comps = -1;
            int adobe = -1;
            int icc = 0;
            int jfif = 0;
            int rgbIds = 0;
            int p = 2;
            while (p + 4 <= b.length) {
                if ((b[p] & 0xff) != 0xFF) break;
                int m = b[p + 1] & 0xff;
                if (m == 0xFF) {
                    p++;
                    continue;
                }
                if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) {
                    p += 2;
                    continue;
                }
                if (m == 0xDA || m == 0xD9) break;
                int len = Orientation.u16be(b, p + 2);
                int d = p + 4;
                boolean sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
                if (sof && comps < 0 && d + 6 <= b.length) {
                    comps = b[d + 5] & 0xff;
                    if (comps == 3 && d + 6 + 9 <= b.length && b[d + 6] == 'R' && b[d + 9] == 'G'
                            && b[d + 12] == 'B') {
                        rgbIds = 1;
                    }
                }
                if (m == 0xE2 && len >= 16 && d + 12 <= b.length && b[d] == 'I' && b[d + 1] == 'C'
                        && b[d + 2] == 'C' && b[d + 3] == '_') {
                    icc = 1;
                }
                if (m == 0xE0 && len >= 7 && d + 5 <= b.length && b[d] == 'J' && b[d + 1] == 'F'
                        && b[d + 2] == 'I' && b[d + 3] == 'F' && b[d + 4] == 0) {
                    jfif = 1;
                }
                if (m == 0xEE && len >= 14 && d + 12 <= b.length && b[d] == 'A' && b[d + 1] == 'd'
                        && b[d + 2] == 'o' && b[d + 3] == 'b' && b[d + 4] == 'e') {
                    adobe = b[d + 11] & 0xff;
                }
                p += 2 + len;
            }
            return new int[] {comps, adobe, icc, jfif, rgbIds};
        }
    }

    /** One thread's reusable decoding state. */
    private static final class Scratch {
        private ImageReader jpeg;
        final ScaledJpegDecoder scaled = new ScaledJpegDecoder();
        final TruncationWatch watch = new TruncationWatch();
        private byte[] pixels = new byte[0];
        /** Kept open for the thread: each new stream would allocate ImageIO's 8 KB read buffer. */
        private final ByteArrayImageInputStream input = new ByteArrayImageInputStream(new byte[0]);

        ImageInputStream input(byte[] encoded) {
            input.rebind(encoded);
            return input;
        }

        void releaseInput() {
            input.rebind(EMPTY);
        }

        private static final byte[] EMPTY = new byte[0];

        ImageReader jpegReader() throws IOException, ImageDecodeException {
            if (jpeg == null) {
                ImageReader r = Format.JPEG.newReader();
                if (r == null) {
                    throw new ImageDecodeException(ImageDecodeException.Reason.UNSUPPORTED_FORMAT,
                            "no JPEG reader is available on the class path");
                }
                r.addIIOReadWarningListener(watch);
                jpeg = r;
            }
            return jpeg;
        }

        void discardJpegReader() {
            if (jpeg != null) {
                jpeg.dispose();
                jpeg = null;
            }
        }

        /**
         * An array of exactly {@code n} bytes (RgbImage needs the exact length), kept while sizes
         * repeat; images over {@link #MAX_KEPT_BYTES} get a fresh array so a rare huge image does not
         * stay pinned to the thread.
         */
        byte[] pixels(int n) {
            if (n > MAX_KEPT_BYTES) return new byte[n];
            if (pixels.length != n) pixels = new byte[n];
            return pixels;
        }

        /** 4 megapixels of RGB. */
        static final int MAX_KEPT_BYTES = 3 * 4 * 1024 * 1024;
    }

    /**
     * An ImageInputStream over a byte array: ImageIO's MemoryCacheImageInputStream would copy the
     * bytes into its own cache blocks first. {@link #rebind} points it at other bytes, so that one
     * instance (and the 8 KB buffer every {@link ImageInputStreamImpl} allocates) serves a thread's
     * images; it keeps its own marks so that a rebind forgets them too.
     */
    static final class ByteArrayImageInputStream extends ImageInputStreamImpl {
        private byte[] data;
        private long[] marks = new long[8]; // (position, bit offset) pairs
        private int markCount;

        ByteArrayImageInputStream(byte[] data) {
            this.data = Objects.requireNonNull(data, "data");
        }

        /** Reads {@code data} from its start, big-endian, as a new stream would. */
        void rebind(byte[] data) {
            this.data = Objects.requireNonNull(data, "data");
            streamPos = 0;
            bitOffset = 0;
            flushedPos = 0;
            byteOrder = java.nio.ByteOrder.BIG_ENDIAN;
            markCount = 0;
        }

        @Override
        public void mark() {
            if (2 * markCount == marks.length) {
                marks = java.util.Arrays.copyOf(marks, 2 * marks.length);
            }
            marks[2 * markCount] = streamPos;
            marks[2 * markCount + 1] = bitOffset;
            markCount++;
        }

        @Override
        public void reset() throws IOException {
            if (markCount == 0) {
                return;
            }
            markCount--;
            long pos = marks[2 * markCount];
            if (pos < flushedPos) {
                throw new javax.imageio.IIOException("Previous marked position has been discarded!");
            }
            seek(pos);
            setBitOffset((int) marks[2 * markCount + 1]);
        }

        @Override
        public int read() throws IOException {
            checkClosed();
            bitOffset = 0;
            return streamPos < data.length ? data[(int) streamPos++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            checkClosed();
            Objects.checkFromIndexSize(off, len, b.length);
            bitOffset = 0;
            if (len == 0) return 0;
            if (streamPos >= data.length) return -1;
            int n = (int) Math.min(len, data.length - streamPos);
            System.arraycopy(data, (int) streamPos, b, off, n);
            streamPos += n;
            return n;
        }

        @Override
        public long length() {
            return data.length;
        }
    }

    /** Records the libjpeg "premature end" warning that ImageIO only reports to listeners. */
    private static final class TruncationWatch implements IIOReadWarningListener {
        String truncated;

        @Override
        public void warningOccurred(ImageReader source, String warning) {
            if (warning != null && warning.toLowerCase(java.util.Locale.ROOT).contains("premature end")) {
                truncated = warning;
            }
        }
    }

    /** The formats this decoder reads, recognised by their signatures. */
    enum Format {
        JPEG("JPEG", "jpeg"),
        PNG("PNG", "png"),
        GIF("GIF", "gif"),
        BMP("BMP", "bmp"),
        TIFF("TIFF", "tiff"),
        WEBP("WebP", null);

        final String label;
        private final String imageioName;

        Format(String label, String imageioName) {
            this.label = label;
            this.imageioName = imageioName;
        }

        static Format sniff(byte[] b) {
            if (Orientation.isJpeg(b)) return JPEG;
            if (Orientation.isPng(b)) return PNG;
            if (Orientation.isWebp(b)) return WEBP;
            if (b.length >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8') return GIF;
            if (b.length >= 14 && b[0] == 'B' && b[1] == 'M') return BMP;
            if (b.length >= 8 && ((b[0] == 'I' && b[1] == 'I' && b[2] == 42 && b[3] == 0)
                    || (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 42))) {
                return TIFF;
            }
            return null;
        }

        ImageReader newReader() throws IOException {
            if (this == WEBP) {
                // Instantiated directly: ImageIO's service registry may have been scanned by a class
                // loader that cannot see TwelveMonkeys (e.g. Flink's user-code loader).
                ImageReaderSpi spi = new com.twelvemonkeys.imageio.plugins.webp.WebPImageReaderSpi();
                return spi.createReaderInstance();
            }
            Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName(imageioName);
            return it.hasNext() ? it.next() : null;
        }
    }

    /** Whether a JPEG ends with its EOI marker; libjpeg's "premature end" on a complete file is benign. */
    private static boolean endsWithEoi(byte[] b) {
        int n = b.length;
        while (n > 2 && b[n - 1] == 0) n--; // some writers pad with zeros after EOI
        return n >= 2 && (b[n - 2] & 0xff) == 0xFF && (b[n - 1] & 0xff) == 0xD9;
    }

    private static String hexPrefix(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(8, b.length); i++) {
            sb.append(String.format("%02x", b[i] & 0xff));
        }
        return sb.toString();
    }
}
