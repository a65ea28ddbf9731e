package dev.siglipstream.siglip.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Properties of the Pillow resize port (bit-exactness against Pillow is in the conformance test). */
class PillowResizeTest {
    private static RgbImage random(int w, int h, long seed) {
        byte[] b = new byte[w * h * 3];
        new Random(seed).nextBytes(b);
        return new RgbImage(w, h, b);
    }

    @Test
    void sameSizeIsACopy() {
        RgbImage src = random(7, 5, 1);
        assertThat(PillowResize.bicubic(src, 7, 5).rgb()).isEqualTo(src.rgb());
    }

    @Test
    void flatImagesStayFlat() {
        byte[] b = new byte[40 * 30 * 3];
        for (int i = 0; i < b.length; i += 3) {
            b[i] = 10;
            b[i + 1] = (byte) 200;
            b[i + 2] = (byte) 255;
        }
        for (int[] size : new int[][] {{13, 7}, {64, 64}, {1, 1}, {97, 3}}) {
            RgbImage out = PillowResize.bicubic(new RgbImage(40, 30, b), size[0], size[1]);
            for (int i = 0; i < out.rgb().length; i += 3) {
                assertThat(new int[] {out.rgb()[i] & 0xff, out.rgb()[i + 1] & 0xff, out.rgb()[i + 2] & 0xff})
                        .containsExactly(10, 200, 255);
            }
        }
    }

    @Test
    void widthOnlyResizeWorksRowByRow() {
        // Pillow skips the vertical pass when the height is unchanged: each row is resized alone.
        RgbImage src = random(50, 4, 2);
        RgbImage out = PillowResize.bicubic(src, 10, 4);
        for (int y = 0; y < 4; y++) {
            byte[] row = java.util.Arrays.copyOfRange(src.rgb(), y * 150, (y + 1) * 150);
            RgbImage one = PillowResize.bicubic(new RgbImage(50, 1, row), 10, 1);
            assertThat(java.util.Arrays.copyOfRange(out.rgb(), y * 30, (y + 1) * 30)).isEqualTo(one.rgb());
        }
    }

    @Test
    void scratchReuseGivesTheSameResult() {
        PillowResize.Scratch scratch = new PillowResize.Scratch();
        RgbImage a = random(300, 200, 3);
        RgbImage b = random(120, 400, 4);
        for (RgbImage img : new RgbImage[] {a, b, a}) {
            PillowResize.Plan plan = PillowResize.Plan.of(img.width(), img.height(), 64, 48, 3);
            byte[] out = new byte[64 * 48 * 3];
            plan.run(img.rgb(), out, scratch);
            assertThat(out).isEqualTo(PillowResize.bicubic(img, 64, 48).rgb());
        }
    }

    @Test
    void coefficientsSumToOneInFixedPoint() {
        PillowResize.Axis axis = PillowResize.Axis.of(640, 224, 3);
        for (int i = 0; i < 224; i++) {
            int sum = 0;
            for (int k = 0; k < axis.count[i]; k++) sum += axis.weights[i * axis.ksize + k];
            assertThat(sum).isBetween((1 << 22) - 8, (1 << 22) + 8);
        }
        // downscaling by 640/224 widens the bicubic support (2) to about 5.7 source pixels each side
        assertThat(axis.ksize).isEqualTo(13);
    }

    /**
     * Pillow's ImagingResample written out per pixel from the kernel tables (horizontal pass into a
     * full-height 8-bit image, then vertical), to check the optimised passes (blocks of
     * source columns turned into arrays, two-tap sweeps, row sink) against the plain algorithm.
     */
    private static byte[] naive(RgbImage src, int w, int h, int resample) {
        PillowResize.Axis xa = PillowResize.Axis.of(src.width(), w, resample);
        PillowResize.Axis ya = PillowResize.Axis.of(src.height(), h, resample);
        int half = 1 << (PillowResize.PRECISION_BITS - 1);
        byte[] tmp = new byte[w * src.height() * 3];
        for (int y = 0; y < src.height(); y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    int ss = half;
                    for (int k = 0; k < xa.count[x]; k++) {
                        ss += src.get(xa.first[x] + k, y, c) * xa.weights[x * xa.ksize + k];
                    }
                    tmp[(y * w + x) * 3 + c] = clip(ss);
                }
            }
        }
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    int ss = half;
                    for (int k = 0; k < ya.count[y]; k++) {
                        ss += (tmp[((ya.first[y] + k) * w + x) * 3 + c] & 0xff) * ya.weights[y * ya.ksize + k];
                    }
                    out[(y * w + x) * 3 + c] = clip(ss);
                }
            }
        }
        return out;
    }

    private static byte clip(int v) {
        int s = v >> PillowResize.PRECISION_BITS;
        return (byte) (s < 0 ? 0 : Math.min(s, 255));
    }

    @Test
    void optimisedPassesEqualThePlainAlgorithm() {
        int[][] cases = {{640, 480, 224, 224}, {37, 23, 224, 224}, {3, 2, 17, 9}, {300, 7, 64, 64},
            {101, 99, 100, 98}, {1000, 7, 224, 224}, {5, 300, 64, 64}};
        long seed = 20;
        for (int[] c : cases) {
            RgbImage src = random(c[0], c[1], seed++);
            for (int resample : new int[] {ImageProcessorConfig.RESAMPLE_BICUBIC, 2}) {
                RgbImage out = PillowResize.resize(src, c[2], c[3], resample);
                assertThat(out.rgb()).as("%dx%d -> %dx%d resample %d", c[0], c[1], c[2], c[3], resample)
                        .isEqualTo(naive(src, c[2], c[3], resample));
            }
        }
    }
}
