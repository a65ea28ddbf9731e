package dev.siglipstream.siglip.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The per-thread JPEG reader and pixel buffer: reuse never changes pixels or leaks between calls. */
class ImageDecoderReuseTest {
    private static final Path IMAGES = ConformanceData.ROOT.resolve("images");

    private static byte[] read(String name) throws Exception {
        return Files.readAllBytes(IMAGES.resolve(name));
    }

    @Test
    void transientDecodesReuseOneBufferAndStayExact() throws Exception {
        byte[] photo = read("photo_q90_420.jpg");
        byte[] progressive = read("progressive.jpg");
        ImageDecoder decoder = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS);
        byte[] photoPixels = decoder.decode(photo).rgb();
        byte[] progressivePixels = decoder.decode(progressive).rgb();

        RgbImage first = decoder.decodeTransient(photo);
        assertThat(first.rgb()).isEqualTo(photoPixels);
        RgbImage second = decoder.decodeTransient(photo);
        assertThat(second.rgb()).as("same size: the thread's buffer is reused").isSameAs(first.rgb());
        assertThat(second.rgb()).isEqualTo(photoPixels);
        assertThat(decoder.decodeTransient(progressive).rgb()).isEqualTo(progressivePixels);
    }

    @Test
    void ownedDecodesNeverShareArrays() throws Exception {
        byte[] photo = read("photo_q90_420.jpg");
        ImageDecoder decoder = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS);
        RgbImage a = decoder.decode(photo);
        RgbImage b = decoder.decode(photo);
        assertThat(b.rgb()).isNotSameAs(a.rgb()).isEqualTo(a.rgb());
    }

    @Test
    void aFailedReadDoesNotSpoilTheNextOne() throws Exception {
        byte[] photo = read("photo_q90_420.jpg");
        ImageDecoder decoder = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS);
        byte[] expected = decoder.decode(photo).rgb();
        byte[] truncated = Arrays.copyOf(photo, photo.length / 2);
        ImageDecodeException e = catchThrowableOfType(ImageDecodeException.class, () -> decoder.decode(truncated));
        assertThat(e.reason()).isEqualTo(ImageDecodeException.Reason.CORRUPT);
        byte[] garbage = photo.clone();
        Arrays.fill(garbage, 200, garbage.length, (byte) 0xFF);
        catchThrowableOfType(ImageDecodeException.class, () -> decoder.decode(garbage));
        assertThat(decoder.decode(photo).rgb()).isEqualTo(expected);
        assertThat(decoder.decodeTransient(photo).rgb()).isEqualTo(expected);
    }

    @Test
    void byteArrayStreamReadsLikeAFile() throws Exception {
        byte[] data = {1, 2, 3, 4, 5};
        try (var in = new ImageDecoder.ByteArrayImageInputStream(data)) {
            assertThat(in.length()).isEqualTo(5);
            assertThat(in.read()).isEqualTo(1);
            byte[] buf = new byte[8];
            assertThat(in.read(buf, 1, 8 - 1)).isEqualTo(4);
            assertThat(Arrays.copyOfRange(buf, 1, 5)).containsExactly(2, 3, 4, 5);
            assertThat(in.read()).isEqualTo(-1);
            assertThat(in.read(buf, 0, 1)).isEqualTo(-1);
            in.seek(3);
            assertThat(in.read()).isEqualTo(4);
        }
    }

    @Test
    void aReboundStreamStartsAfreshAndKeepsItsMarksApart() throws Exception {
        var in = new ImageDecoder.ByteArrayImageInputStream(new byte[] {1, 2, 3, 4, 5});
        in.mark();
        assertThat(in.read()).isEqualTo(1);
        in.mark();
        in.readBits(3);
        in.reset(); // back to the second mark: position 1, bit 0
        assertThat(in.getStreamPosition()).isEqualTo(1);
        assertThat(in.getBitOffset()).isZero();
        in.reset(); // the first mark
        assertThat(in.read()).isEqualTo(1);
        in.mark();
        in.seek(4);
        in.flushBefore(4);
        assertThatThrownBy(in::reset).hasMessageContaining("discarded");

        in.mark();
        in.setByteOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        in.rebind(new byte[] {0, 1, 9});
        assertThat(in.getStreamPosition()).isZero();
        assertThat(in.getFlushedPosition()).isZero();
        assertThat(in.getByteOrder()).isEqualTo(java.nio.ByteOrder.BIG_ENDIAN);
        assertThat(in.length()).isEqualTo(3);
        in.reset(); // the marks before the rebind are gone: no-op
        assertThat(in.readShort()).isEqualTo((short) 1);
        assertThat(in.read()).isEqualTo(9);
        assertThat(in.read()).isEqualTo(-1);
        for (int i = 0; i < 20; i++) {
            in.mark(); // beyond the initial room for marks
        }
        in.seek(0);
        in.reset();
        assertThat(in.getStreamPosition()).isEqualTo(3);
    }
}
