package dev.siglipstream.siglip.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.siglipstream.siglip.image.ImageDecodeException.Reason;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/** Unreadable input always becomes an {@link ImageDecodeException} with the right reason. */
class ImageDecoderBadInputTest {
    private static final Path IMAGES = ConformanceData.ROOT.resolve("images");
    private final ImageDecoder decoder = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS);

    private ImageDecodeException fail(byte[] bytes) {
        ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class, () -> decoder.decode(bytes));
        assertThat(e).as("decode must fail with ImageDecodeException").isNotNull();
        return e;
    }

    @Test
    void emptyInput() {
        ImageDecodeException e = fail(new byte[0]);
        assertThat(e.reason()).isEqualTo(Reason.EMPTY);
        assertThat(e.getMessage()).contains("empty");
        assertThat(catchThrowableOfType(ImageDecodeException.class, () -> decoder.decode(null)).reason())
                .isEqualTo(Reason.EMPTY);
    }

    @Test
    void randomBytesAreUnsupported() {
        byte[] junk = new byte[1000];
        new Random(7).nextBytes(junk);
        junk[0] = 0x12;
        ImageDecodeException e = fail(junk);
        assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED_FORMAT);
        assertThat(e.getMessage()).contains("not a supported image format").contains("1000 bytes");
    }

    @Test
    void textIsUnsupported() {
        ImageDecodeException e = fail("hello, this is not an image\n".getBytes(StandardCharsets.UTF_8));
        assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED_FORMAT);
        assertThat(e.getMessage()).contains("68656c6c6f"); // "hello" in the hex prefix
    }

    @Test
    void randomBytesBehindPngAndJpegSignaturesAreCorrupt() {
        Random rnd = new Random(11);
        for (byte[] magic : List.of(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10},
                new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF}, "GIF89a".getBytes(StandardCharsets.US_ASCII),
                "BM".getBytes(StandardCharsets.US_ASCII))) {
            for (int i = 0; i < 20; i++) {
                byte[] b = new byte[50 + rnd.nextInt(500)];
                rnd.nextBytes(b);
                System.arraycopy(magic, 0, b, 0, magic.length);
                ImageDecodeException e = fail(b);
                assertThat(e.reason()).isIn(Reason.CORRUPT, Reason.TOO_LARGE);
            }
        }
    }

    @Test
    void truncatedJpegIsCorrupt() throws Exception {
        byte[] full = Files.readAllBytes(IMAGES.resolve("photo_q90_420.jpg"));
        ImageDecodeException e = fail(Arrays.copyOf(full, full.length / 2));
        assertThat(e.reason()).isEqualTo(Reason.CORRUPT);
        assertThat(e.getMessage()).contains("JPEG").contains("truncated");
    }

    @Test
    void truncatedPngIsCorrupt() throws Exception {
        byte[] full = Files.readAllBytes(IMAGES.resolve("grayscale.png"));
        ImageDecodeException e = fail(Arrays.copyOf(full, full.length / 2));
        assertThat(e.reason()).isEqualTo(Reason.CORRUPT);
        assertThat(e.getMessage()).contains("PNG");
        // cut inside the header too
        assertThat(fail(Arrays.copyOf(full, 20)).reason()).isEqualTo(Reason.CORRUPT);
    }

    @Test
    void hugePngHeaderIsRejectedBeforeDecoding() throws Exception {
        byte[] png = pngHeaderOnly(50_000, 50_000);
        long t0 = System.nanoTime();
        ImageDecodeException e = fail(png);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE);
        assertThat(e.getMessage())
                .isEqualTo("image is 50000x50000 = 2500000000 pixels, over the limit of 178956970");
        assertThat(ms).as("rejected from the header, ms").isLessThan(1000);
    }

    @Test
    void limitIsConfigurable() throws Exception {
        byte[] ok = Files.readAllBytes(IMAGES.resolve("grayscale.png")); // 150x100
        assertThat(new ImageDecoder(15_000).decode(ok).width()).isEqualTo(150);
        ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class,
                () -> new ImageDecoder(14_999).decode(ok));
        assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE);
        assertThat(e.getMessage()).contains("150x100 = 15000 pixels, over the limit of 14999");
    }

    @Test
    void batchNamesTheFailingIndex() throws Exception {
        SiglipImageProcessor p = new SiglipImageProcessor(ImageProcessorConfig.defaults().withSize(8, 8), 1000_000);
        byte[] good = Files.readAllBytes(IMAGES.resolve("tiny_1x1.png"));
        ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class,
                () -> p.preprocess(List.of(good, good, new byte[0])));
        assertThat(e.reason()).isEqualTo(Reason.EMPTY);
        assertThat(e.getMessage()).startsWith("image 2: ");
    }

    /** Signature + IHDR (with a valid CRC) + IEND: a header that claims any size and holds no pixels. */
    static byte[] pngHeaderOnly(int w, int h) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws Exception {
        out.write(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
