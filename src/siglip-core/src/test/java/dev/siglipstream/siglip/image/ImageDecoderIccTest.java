package dev.siglipstream.siglip.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import javax.imageio.ImageIO;
import dev.siglipstream.siglip.internal.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Pillow's {@code convert("RGB")} ignores embedded ICC profiles; so must the decoder. */
class ImageDecoderIccTest {
    private final ImageDecoder decoder = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS);

    @Test
    void jpegWithANonSrgbProfileKeepsItsSamples() throws Exception {
        BufferedImage img = new BufferedImage(32, 16, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 16; y++) for (int x = 0; x < 32; x++) img.setRGB(x, y, (x * 8) << 16 | (y * 16) << 8 | 100);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(img, "jpeg", out)).isTrue();
        byte[] plain = out.toByteArray();
        byte[] withIcc = withLinearRgbProfile(plain);
        RgbImage a = decoder.decode(withIcc);
        RgbImage b = decoder.decode(plain);
        assertThat(SiglipImageConformanceTest.maxDiff(a.rgb(), b.rgb())).isZero();
        assertThat(stripApp2(withIcc)).isEqualTo(plain);
    }

    @Test
    void greyJpegWithAProfileKeepsItsSamples() throws Exception {
        BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 16; y++) for (int x = 0; x < 16; x++) img.getRaster().setSample(x, y, 0, x * 16);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(img, "jpeg", out)).isTrue();
        byte[] plain = out.toByteArray();
        RgbImage a = decoder.decode(withLinearRgbProfile(plain));
        RgbImage b = decoder.decode(plain);
        assertThat(a.rgb()).isEqualTo(b.rgb());
        assertThat(b.get(15, 3, 0)).isBetween(238, 242);
    }

    /** The unconverted path must still give libjpeg's pixels: the conformance JPEGs with a profile added. */
    @ParameterizedTest
    @ValueSource(strings = {"photo_q90_420", "progressive", "exif_orientation6"})
    void conformanceJpegsWithAProfileStillMatchPillow(String id) throws Exception {
        Path root = ConformanceData.ROOT;
        byte[] plain = Files.readAllBytes(root.resolve("images/" + id + ".jpg"));
        RgbImage img = decoder.decode(withLinearRgbProfile(plain));
        byte[] golden = Npy.read(root.resolve("golden/images/" + id + "/decoded_rgb.npy")).bytes();
        assertThat(SiglipImageConformanceTest.maxDiff(img.rgb(), golden)).isZero();
    }

    /** PNG's iCCP chunk must be ignored too (RGB, RGBA and greyscale conformance PNGs). */
    @ParameterizedTest
    @ValueSource(strings = {"coco_000000039769", "rgba_transparent", "grayscale", "gray16"})
    void pngsWithAProfileStillMatchPillow(String id) throws Exception {
        Path root = ConformanceData.ROOT;
        byte[] plain = Files.readAllBytes(root.resolve("images/" + id + ".png"));
        int space = id.startsWith("gray") ? ColorSpace.CS_GRAY : ColorSpace.CS_LINEAR_RGB;
        byte[] profile = ICC_Profile.getInstance(space).getData();
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        try (java.util.zip.DeflaterOutputStream d = new java.util.zip.DeflaterOutputStream(z)) {
            d.write(profile);
        }
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.writeBytes("test\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        data.write(0); // compression method
        data.writeBytes(z.toByteArray());
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.write(plain, 0, 33); // signature + IHDR
        ImageDecoderBadInputTest.chunk(png, "iCCP", data.toByteArray());
        png.write(plain, 33, plain.length - 33);
        RgbImage img = decoder.decode(png.toByteArray());
        byte[] golden = Npy.read(root.resolve("golden/images/" + id + "/decoded_rgb.npy")).bytes();
        assertThat(SiglipImageConformanceTest.maxDiff(img.rgb(), golden)).isZero();
    }

    static byte[] withLinearRgbProfile(byte[] plain) {
        byte[] profile = ICC_Profile.getInstance(ColorSpace.CS_LINEAR_RGB).getData();
        byte[] tag = "ICC_PROFILE\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int len = 2 + tag.length + 2 + profile.length;
        ByteArrayOutputStream withIcc = new ByteArrayOutputStream();
        withIcc.write(plain, 0, 2);
        withIcc.write(0xFF);
        withIcc.write(0xE2);
        withIcc.write(len >> 8);
        withIcc.write(len & 0xff);
        withIcc.writeBytes(tag);
        withIcc.write(1); // segment 1 of 1
        withIcc.write(1);
        withIcc.writeBytes(profile);
        withIcc.write(plain, 2, plain.length - 2);
        return withIcc.toByteArray();
    }

    private static byte[] stripApp2(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(b, 0, 2);
        int p = 2;
        while (p + 4 <= b.length && (b[p] & 0xff) == 0xFF && (b[p + 1] & 0xff) != 0xDA) {
            int len = ((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff);
            if ((b[p + 1] & 0xff) != 0xE2) out.write(b, p, 2 + len);
            p += 2 + len;
        }
        out.write(b, p, b.length - p);
        return out.toByteArray();
    }
}
