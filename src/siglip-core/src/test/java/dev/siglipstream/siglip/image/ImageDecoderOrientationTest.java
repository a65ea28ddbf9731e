package dev.siglipstream.siglip.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** EXIF orientation applied like Pillow's {@code ImageOps.exif_transpose}. */
class ImageDecoderOrientationTest {
    private final ImageDecoder decoder = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS);

    @Test
    void conformanceOrientation6IsRotatedClockwise() throws Exception {
        byte[] jpeg = Files.readAllBytes(ConformanceData.ROOT.resolve("images/exif_orientation6.jpg"));
        RgbImage img = decoder.decode(jpeg);
        assertThat(img.width()).isEqualTo(120);
        assertThat(img.height()).isEqualTo(200);
        // (the pixels are checked against decoded_rgb.npy in SiglipImageConformanceTest)
    }

    /** Stored w×h; displayed pixel (x, y) must come from the stored pixel the EXIF spec names. */
    @ParameterizedTest(name = "orientation {0}, little-endian {1}")
    @CsvSource({"1,false", "2,false", "3,true", "4,false", "5,true", "6,false", "7,false", "8,true", "6,true", "9,false"})
    void everyOrientation(int orientation, boolean littleEndian) throws Exception {
        int w = 24;
        int h = 16;
        BufferedImage src = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) src.setRGB(x, y, (x * 10) << 16 | (y * 15) << 8 | 128);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(src, "jpeg", out);
        byte[] plain = out.toByteArray();
        RgbImage stored = decoder.decode(plain);
        RgbImage shown = decoder.decode(withOrientation(plain, orientation, littleEndian));
        boolean swap = orientation >= 5 && orientation <= 8;
        assertThat(shown.width()).isEqualTo(swap ? h : w);
        assertThat(shown.height()).isEqualTo(swap ? w : h);
        for (int y = 0; y < shown.height(); y++) {
            for (int x = 0; x < shown.width(); x++) {
                int[] s = switch (orientation) {
                    case 2 -> new int[] {w - 1 - x, y}; // mirrored horizontally
                    case 3 -> new int[] {w - 1 - x, h - 1 - y}; // 180°
                    case 4 -> new int[] {x, h - 1 - y}; // mirrored vertically
                    case 5 -> new int[] {y, x}; // transposed
                    case 6 -> new int[] {y, h - 1 - x}; // stored image is rotated 90° CCW: turn it CW
                    case 7 -> new int[] {w - 1 - y, h - 1 - x}; // transverse
                    case 8 -> new int[] {w - 1 - y, x}; // turn CCW
                    default -> new int[] {x, y}; // 1 and invalid values: untouched
                };
                for (int c = 0; c < 3; c++) {
                    assertThat(shown.get(x, y, c)).as("orientation %d at %d,%d", orientation, x, y)
                            .isEqualTo(stored.get(s[0], s[1], c));
                }
            }
        }
    }

    @Test
    void cornerLandsWhereTheSpecSays() throws Exception {
        // orientation 6: the stored top-left corner is shown at the top-right.
        RgbImage stored = new RgbImage(2, 1, new byte[] {9, 9, 9, 0, 0, 0});
        RgbImage shown = Orientation.apply(stored, 6);
        assertThat(shown.width()).isEqualTo(1);
        assertThat(shown.get(0, 0, 0)).isEqualTo(9);
        // orientation 8: the stored top-left corner is shown at the bottom-left.
        RgbImage shown8 = Orientation.apply(stored, 8);
        assertThat(shown8.get(0, 1, 0)).isEqualTo(9);
    }

    /** Inserts an APP1 "Exif" segment with IFD0 = {Orientation} right after SOI. */
    static byte[] withOrientation(byte[] jpeg, int orientation, boolean le) {
        ByteBuffer tiff = ByteBuffer.allocate(8 + 2 + 12 + 4).order(le ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        tiff.put((byte) (le ? 'I' : 'M')).put((byte) (le ? 'I' : 'M')).putShort((short) 42).putInt(8);
        tiff.putShort((short) 1);
        tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0);
        tiff.putInt(0);
        byte[] payload = tiff.array();
        int len = 2 + 6 + payload.length;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.write(0xFF);
        out.write(0xE1);
        out.write(len >> 8);
        out.write(len & 0xff);
        out.writeBytes(new byte[] {'E', 'x', 'i', 'f', 0, 0});
        out.writeBytes(payload);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }
}
