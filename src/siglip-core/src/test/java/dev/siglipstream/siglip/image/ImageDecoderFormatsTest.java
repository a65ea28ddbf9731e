package dev.siglipstream.siglip.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.junit.jupiter.api.Test;

/** Every colour mode Pillow's {@code convert("RGB")} handles, on images generated here. */
class ImageDecoderFormatsTest {
    private final ImageDecoder decoder = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS);

    static byte[] write(BufferedImage image, String format) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean ok = ImageIO.write(image, format, out);
        assertThat(ok).as("ImageIO can write %s", format).isTrue();
        return out.toByteArray();
    }

    static BufferedImage rgbPattern(int w, int h, int type) {
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, ((x * 37 + y * 11) & 0xff) << 16 | ((x * 7 + y * 53) & 0xff) << 8 | ((x * y) & 0xff));
            }
        }
        return img;
    }

    @Test
    void bmpIsExact() throws Exception {
        BufferedImage img = rgbPattern(13, 7, BufferedImage.TYPE_3BYTE_BGR);
        RgbImage out = decoder.decode(write(img, "bmp"));
        assertThat(out.width()).isEqualTo(13);
        assertThat(out.height()).isEqualTo(7);
        assertSameAsRgbOf(img, out);
    }

    @Test
    void gifTakesPaletteColoursOfTheFirstFrame() throws Exception {
        byte[] r = new byte[4];
        byte[] g = new byte[4];
        byte[] b = new byte[4];
        int[][] pal = {{10, 20, 30}, {200, 100, 50}, {0, 255, 0}, {255, 255, 255}};
        for (int i = 0; i < 4; i++) {
            r[i] = (byte) pal[i][0];
            g[i] = (byte) pal[i][1];
            b[i] = (byte) pal[i][2];
        }
        IndexColorModel icm = new IndexColorModel(2, 4, r, g, b);
        BufferedImage img = new BufferedImage(9, 5, BufferedImage.TYPE_BYTE_INDEXED, icm);
        for (int y = 0; y < 5; y++) for (int x = 0; x < 9; x++) img.getRaster().setSample(x, y, 0, (x + y) % 4);
        RgbImage out = decoder.decode(write(img, "gif"));
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 9; x++) {
                int[] p = pal[(x + y) % 4];
                assertThat(new int[] {out.get(x, y, 0), out.get(x, y, 1), out.get(x, y, 2)}).containsExactly(p);
            }
        }
    }

    @Test
    void palettePngWithTransparencyIgnoresTheTransparentIndex() throws Exception {
        byte[] r = {(byte) 250, 1, 2};
        byte[] g = {(byte) 128, 3, 4};
        byte[] b = {7, 5, 6};
        byte[] a = {0, (byte) 255, (byte) 255}; // index 0 fully transparent -> tRNS chunk
        IndexColorModel icm = new IndexColorModel(8, 3, r, g, b, a);
        BufferedImage img = new BufferedImage(4, 2, BufferedImage.TYPE_BYTE_INDEXED, icm);
        for (int x = 0; x < 4; x++) img.getRaster().setSample(x, 0, 0, x % 3);
        byte[] png = write(img, "png");
        assertThat(new String(png, java.nio.charset.StandardCharsets.ISO_8859_1)).contains("tRNS");
        RgbImage out = decoder.decode(png);
        assertThat(new int[] {out.get(0, 0, 0), out.get(0, 0, 1), out.get(0, 0, 2)}).containsExactly(250, 128, 7);
        assertThat(new int[] {out.get(2, 0, 0), out.get(2, 0, 1), out.get(2, 0, 2)}).containsExactly(2, 4, 6);
    }

    @Test
    void sixteenBitGreyIsClippedNotScaled() throws Exception {
        int[] values = {0, 1, 200, 255, 256, 300, 40000, 65535};
        BufferedImage img = new BufferedImage(values.length, 1, BufferedImage.TYPE_USHORT_GRAY);
        for (int x = 0; x < values.length; x++) img.getRaster().setSample(x, 0, 0, values[x]);
        RgbImage out = decoder.decode(write(img, "png"));
        int[] expected = {0, 1, 200, 255, 255, 255, 255, 255};
        for (int x = 0; x < values.length; x++) {
            for (int c = 0; c < 3; c++) assertThat(out.get(x, 0, c)).as("x=%d c=%d", x, c).isEqualTo(expected[x]);
        }
    }

    @Test
    void sixteenBitRgbKeepsTheHighByte() throws Exception {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false,
                false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = cm.createCompatibleWritableRaster(3, 1);
        int[][] px = {{0x1234, 0xABFF, 0x00FF}, {0xFFFF, 0x0100, 0x8080}, {300, 65535, 255}};
        for (int x = 0; x < 3; x++) raster.setPixel(x, 0, px[x]);
        BufferedImage img = new BufferedImage(cm, raster, false, null);
        RgbImage out = decoder.decode(write(img, "png"));
        for (int x = 0; x < 3; x++) {
            for (int c = 0; c < 3; c++) assertThat(out.get(x, 0, c)).isEqualTo(px[x][c] >> 8);
        }
    }

    @Test
    void greyWithAlphaDropsAlpha() throws Exception {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true,
                false, Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
        WritableRaster raster = cm.createCompatibleWritableRaster(3, 2);
        for (int y = 0; y < 2; y++) for (int x = 0; x < 3; x++) raster.setPixel(x, y, new int[] {x * 90 + y, x == 1 ? 0 : 128});
        BufferedImage img = new BufferedImage(cm, raster, false, null);
        RgbImage out = decoder.decode(write(img, "png"));
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                for (int c = 0; c < 3; c++) assertThat(out.get(x, y, c)).isEqualTo(x * 90 + y);
            }
        }
    }

    @Test
    void rgbaDropsAlphaWithoutCompositing() throws Exception {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_4BYTE_ABGR);
        img.getRaster().setPixel(0, 0, new int[] {10, 20, 30, 0});
        img.getRaster().setPixel(1, 0, new int[] {200, 100, 50, 77});
        RgbImage out = decoder.decode(write(img, "png"));
        assertThat(out.rgb()).containsExactly(10, 20, 30, 200, 100, 50);
    }

    @Test
    void greyscaleJpegIsReplicated() throws Exception {
        BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 16; y++) for (int x = 0; x < 16; x++) img.getRaster().setSample(x, y, 0, 100);
        RgbImage out = decoder.decode(write(img, "jpeg"));
        for (int i = 0; i < out.rgb().length; i++) assertThat(out.rgb()[i] & 0xff).isEqualTo(100);
    }

    /**
     * A 4-band raster makes ImageIO write an Adobe (inverted-convention) CMYK JPEG; Pillow reads it as
     * "CMYK;I" and converts with {@code R = nk - nk*C/255}. Flat colours survive JPEG almost losslessly.
     */
    @Test
    void cmykJpegUsesPillowsConversion() throws Exception {
        byte[] jpeg = fourBandJpeg(STORED);
        assertThat(ImageDecoder.JpegInfo.components(jpeg)).isEqualTo(4);
        RgbImage out = decoder.decode(jpeg);
        assertThat(out.width()).isEqualTo(64);
        System.out.println("CMYK JPEG Adobe transform " + ImageDecoder.JpegInfo.adobeTransform(jpeg));
        for (int blk = 0; blk < 4; blk++) {
            int[] s = STORED[blk];
            int nk = s[3];
            for (int c = 0; c < 3; c++) {
                int ink = 255 - s[c];
                int expected = Math.max(0, Math.min(255, nk - Math.round(ink * nk / 255f)));
                System.out.printf("CMYK block %d channel %d: expected %d, decoded %d%n", blk, c, expected,
                        out.get(blk * 16 + 8, 8, c));
                assertThat(out.get(blk * 16 + 8, 8, c)).as("block %d channel %d", blk, c)
                        .isCloseTo(expected, org.assertj.core.data.Offset.offset(2));
            }
        }
    }

    /** Same samples declared YCCK by an Adobe APP14 marker (transform 2): libjpeg converts YCC to CMY first. */
    @Test
    void ycckJpegConvertsYccBeforePillowsCmykFormula() throws Exception {
        byte[] cmyk = fourBandJpeg(STORED);
        byte[] adobe = {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 2};
        byte[] jpeg = new byte[cmyk.length + adobe.length];
        jpeg[0] = cmyk[0];
        jpeg[1] = cmyk[1];
        System.arraycopy(adobe, 0, jpeg, 2, adobe.length);
        System.arraycopy(cmyk, 2, jpeg, 2 + adobe.length, cmyk.length - 2);
        assertThat(ImageDecoder.JpegInfo.adobeTransform(jpeg)).isEqualTo(2);
        RgbImage out = decoder.decode(jpeg);
        for (int blk = 0; blk < 4; blk++) {
            int[] s = STORED[blk];
            // libjpeg: C = 255 - R(Y, Cb, Cr) ...; Pillow inverts ("CMYK;I"), so its ink is R itself.
            int[] ink = {ImageDecoder.Ycc.red(s[0], s[2]), ImageDecoder.Ycc.green(s[0], s[1], s[2]),
                    ImageDecoder.Ycc.blue(s[0], s[1])};
            int nk = s[3];
            for (int c = 0; c < 3; c++) {
                int expected = Math.max(0, Math.min(255, nk - Math.round(ink[c] * nk / 255f)));
                System.out.printf("YCCK block %d channel %d: expected %d, decoded %d%n", blk, c, expected,
                        out.get(blk * 16 + 8, 8, c));
                assertThat(out.get(blk * 16 + 8, 8, c)).as("block %d channel %d", blk, c)
                        .isCloseTo(expected, org.assertj.core.data.Offset.offset(3));
            }
        }
    }

    /** Stored samples per 16x16 block (c, m, y, k as written, i.e. Adobe's inverted convention). */
    private static final int[][] STORED = {{255, 255, 255, 255}, {0, 255, 255, 255}, {255, 255, 255, 0},
            {128, 200, 50, 180}};

    private static byte[] fourBandJpeg(int[][] stored) throws Exception {
        WritableRaster raster = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 64, 16, 4, null);
        for (int blk = 0; blk < 4; blk++) {
            for (int y = 0; y < 16; y++) for (int x = 0; x < 16; x++) raster.setPixel(blk * 16 + x, y, stored[blk]);
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(1.0f);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream os = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(os);
            writer.write(null, new IIOImage(raster, null, null), param);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /**
     * A lossless WebP (VP8L) written bit by bit: each channel uses a two-symbol "simple" prefix code,
     * so a pixel is 4 bits (green, red, blue, alpha) and the image is exactly known.
     */
    @Test
    void losslessWebpIsExact() throws Exception {
        int w = 5;
        int h = 3;
        int[] reds = {17, 240};
        int[] greens = {3, 99};
        int[] blues = {60, 61};
        Bits bits = new Bits();
        bits.put(0x2f, 8);
        bits.put(w - 1, 14);
        bits.put(h - 1, 14);
        bits.put(0, 1); // alpha not used
        bits.put(0, 3); // version
        bits.put(0, 1); // no transform
        bits.put(0, 1); // no colour cache
        bits.put(0, 1); // no meta prefix codes
        simpleCode(bits, greens[0], greens[1]);
        simpleCode(bits, reds[0], reds[1]);
        simpleCode(bits, blues[0], blues[1]);
        bits.put(1, 1); // alpha: simple code with one 8-bit symbol 255
        bits.put(0, 1);
        bits.put(1, 1);
        bits.put(255, 8);
        bits.put(1, 1); // distance: simple code with one 1-bit symbol 0
        bits.put(0, 1);
        bits.put(0, 1);
        bits.put(0, 1);
        int[][] expected = new int[w * h][];
        for (int i = 0; i < w * h; i++) {
            int gi = i % 2;
            int ri = (i / 2) % 2;
            int bi = (i / 3) % 2;
            bits.put(gi, 1); // 1-bit canonical codes: the smaller symbol is code 0
            bits.put(ri, 1);
            bits.put(bi, 1);
            expected[i] = new int[] {reds[ri], greens[gi], blues[bi]};
        }
        byte[] vp8l = bits.bytes();
        ByteArrayOutputStream riff = new ByteArrayOutputStream();
        int pad = vp8l.length & 1;
        riff.write("RIFF".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        le32(riff, 4 + 8 + vp8l.length + pad);
        riff.write("WEBPVP8L".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        le32(riff, vp8l.length);
        riff.write(vp8l);
        if (pad == 1) riff.write(0);
        RgbImage out = decoder.decode(riff.toByteArray());
        assertThat(out.width()).isEqualTo(w);
        assertThat(out.height()).isEqualTo(h);
        for (int i = 0; i < w * h; i++) {
            assertThat(new int[] {out.get(i % w, i / w, 0), out.get(i % w, i / w, 1), out.get(i % w, i / w, 2)})
                    .as("pixel %d", i).containsExactly(expected[i]);
        }
    }

    private static void simpleCode(Bits bits, int s0, int s1) {
        bits.put(1, 1); // simple code
        bits.put(1, 1); // two symbols
        bits.put(1, 1); // first symbol uses 8 bits
        bits.put(s0, 8);
        bits.put(s1, 8);
    }

    private static void le32(ByteArrayOutputStream out, int v) {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }

    /** An LSB-first bit writer, as VP8L reads. */
    private static final class Bits {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private long acc;
        private int n;

        void put(int value, int count) {
            acc |= ((long) value & ((1L << count) - 1)) << n;
            n += count;
            while (n >= 8) {
                out.write((int) (acc & 0xff));
                acc >>>= 8;
                n -= 8;
            }
        }

        byte[] bytes() {
            if (n > 0) {
                out.write((int) (acc & 0xff));
                acc = 0;
                n = 0;
            }
            return out.toByteArray();
        }
    }

    static void assertSameAsRgbOf(BufferedImage img, RgbImage out) {
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int argb = img.getRGB(x, y);
                assertThat(new int[] {out.get(x, y, 0), out.get(x, y, 1), out.get(x, y, 2)})
                        .as("pixel %d,%d", x, y)
                        .containsExactly((argb >> 16) & 0xff, (argb >> 8) & 0xff, argb & 0xff);
            }
        }
    }

}
