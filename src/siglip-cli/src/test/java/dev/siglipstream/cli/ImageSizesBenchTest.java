package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.siglipstream.siglip.image.ImageDecoder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real-photo-sizes table of {@code siglip bench}: its inputs, and one short run without Pillow. */
class ImageSizesBenchTest {
    @Test
    void sizesBecomeGeneratedJpegsAndPathsFiles(@TempDir Path dir) throws Exception {
        ImageSizesBench.Input gen = ImageSizesBench.Input.parse("320x200");
        assertThat(gen.label()).isEqualTo("320x200");
        assertThat(new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS).decode(gen.bytes()).width()).isEqualTo(320);
        assertThat(ImageSizesBench.Input.parse("320x200").bytes()).isEqualTo(gen.bytes()); // deterministic
        Path file = Files.write(dir.resolve("photo.jpg"), gen.bytes());
        assertThat(ImageSizesBench.Input.parse(file.toString()).label()).isEqualTo("photo.jpg");
        assertThatThrownBy(() -> ImageSizesBench.Input.parse("12MP")).hasMessageContaining("neither WxH nor an image file");
        assertThatThrownBy(() -> ImageSizesBench.Input.parse("0x10")).hasMessageContaining("1x1 to 100 megapixels");
    }

    @Test
    void printsOneRowPerSizeWithEveryJavaStep() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        List<ImageSizesBench.Row> rows = new ImageSizesBench(32, ImageDecoder.DEFAULT_MAX_PIXELS, 3, 0.05, null)
                .run(List.of(ImageSizesBench.Input.parse("64x48"), ImageSizesBench.Input.parse("600x400")),
                        new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertThat(rows).extracting(ImageSizesBench.Row::label).containsExactly("64x48", "600x400");
        for (ImageSizesBench.Row r : rows) {
            assertThat(r.decode()).isPositive();
            assertThat(r.resize()).isPositive();
            assertThat(r.exact()).isPositive();
            assertThat(r.fast()).isPositive();
            assertThat(r.pillowFull()).isNaN();
            assertThat(r.floor()).as("the entropy floor, measured for every JPEG").isPositive();
        }
        assertThat(rows.get(0).fastScale()).as("64x48 for 32x32: below 1/4, decoded exactly").isEqualTo(1);
        assertThat(rows.get(0).fastDecode()).isNaN();
        ImageSizesBench.Row big = rows.get(1);
        assertThat(big.fastScale()).as("600x400 for 32x32: min(600 / 64, 400 / 64) = 6 -> 1/4").isEqualTo(4);
        // same Java decoder, strictly less work (no IDCT, colour or output: about 0.8 of it): below its whole
        // reduced decode and the exact path (not at 64x48, where the Java decoder's JIT is still cold and
        // ImageIO's native decode wins)
        assertThat(big.floor()).as("entropy decoding alone vs the whole reduced decode").isLessThan(big.fastDecode());
        assertThat(big.floor()).isLessThan(big.exact());
        assertThat(big.maxSpeedup()).isEqualTo(big.exact() / big.floor()).isGreaterThan(1);
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("image-size 600x400 decoded=600x400").contains("Real photo sizes").contains("cores@2500/s");
        assertThat(out).contains("image-floor 600x400 scale=4 cpu_ms/image: fast_decode=").contains("DCT-domain floor")
                .contains("max speed-up of any DCT-domain decoder = exact / floor");
    }
}
