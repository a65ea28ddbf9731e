package dev.siglipstream.siglip.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * {@link ScaledJpegDecoder#entropyOnly}, the floor {@code siglip bench} reports: it must read the whole
 * entropy-coded data (every block, ending at EOI), or the figure would be a floor of less than the work.
 */
class EntropyFloorTest {
    private static final Path IMAGES = ConformanceData.ROOT.resolve("images");

    @Test
    void readsEveryBlockOfTheScanAndEndsAtEoi() throws Exception {
        // 4:2:0, so 6 blocks per 16×16 MCU: ⌈W/16⌉ · ⌈H/16⌉ · 6
        assertBlocks("large_3000x2000.jpg", 188 * 125 * 6);
        assertBlocks("photo_q90_420.jpg", 20 * 15 * 6);
        assertBlocks("exif_orientation6.jpg", 13 * 8 * 6);
    }

    private static void assertBlocks(String file, long expected) throws Exception {
        byte[] jpeg = Files.readAllBytes(IMAGES.resolve(file));
        ScaledJpegDecoder decoder = new ScaledJpegDecoder();
        assertThat(decoder.entropyOnly(jpeg)).as(file + ": blocks, entropy only").isEqualTo(expected);
        assertThat(decoder.decode(jpeg, 4)).isNotNull();
        assertThat(decoder.blocks()).as(file + ": blocks, full reduced decode").isEqualTo(expected);
        assertThat(new FastDecodeProbe().entropyOnly(jpeg)).isEqualTo(expected);
    }

    @Test
    void failsWhereTheDataDoesNotEndWithTheLastBlock() throws Exception {
        byte[] jpeg = Files.readAllBytes(IMAGES.resolve("large_3000x2000.jpg"));
        ScaledJpegDecoder decoder = new ScaledJpegDecoder();
        byte[] truncated = Arrays.copyOf(jpeg, jpeg.length * 3 / 5);
        assertThatThrownBy(() -> decoder.entropyOnly(truncated)).isInstanceOf(IllegalStateException.class);
        byte[] noEoi = Arrays.copyOf(jpeg, jpeg.length - 2);
        assertThatThrownBy(() -> decoder.entropyOnly(noEoi)).hasMessageContaining("does not end at EOI");
        // 1 to 8 bytes of extra entropy-coded data before EOI: every block decodes, data is left over
        // (read ahead into the bit buffer or not, depending on where the last block ends)
        for (int n = 1; n <= 8; n++) {
            byte[] extra = Arrays.copyOf(jpeg, jpeg.length + n);
            Arrays.fill(extra, jpeg.length - 2, jpeg.length - 2 + n, (byte) 0x5A);
            extra[extra.length - 2] = (byte) 0xFF;
            extra[extra.length - 1] = (byte) 0xD9;
            assertThatThrownBy(() -> decoder.entropyOnly(extra)).as(n + " extra bytes")
                    .hasMessageContaining("does not end at EOI after 141000 blocks");
        }
        assertThat(decoder.entropyOnly(jpeg)).as("the intact file, same decoder").isEqualTo(141_000);
    }

    @Test
    void filesItDoesNotHandleAreMinusOne() throws Exception {
        assertThat(new ScaledJpegDecoder().entropyOnly(Files.readAllBytes(IMAGES.resolve("progressive.jpg")))).isEqualTo(-1);
        assertThat(new ScaledJpegDecoder().entropyOnly(Files.readAllBytes(IMAGES.resolve("grayscale.png")))).isEqualTo(-1);
    }

    @Test
    void probeScaleIsTheFastPathsScale() throws Exception {
        FastDecodeProbe probe = new FastDecodeProbe();
        byte[] large = Files.readAllBytes(IMAGES.resolve("large_3000x2000.jpg"));
        assertThat(probe.scale(large, 224, 224)).isEqualTo(4); // min(3000 / 448, 2000 / 448) = 4
        assertThat(probe.scale(large, 64, 64)).isEqualTo(8);
        assertThat(probe.scale(large, 512, 512)).as("1/2 decodes exactly").isEqualTo(1);
        assertThat(probe.scale(Files.readAllBytes(IMAGES.resolve("progressive.jpg")), 16, 16)).isEqualTo(1);
        assertThat(probe.decode(large, 4).width()).isEqualTo(750);
    }
}
