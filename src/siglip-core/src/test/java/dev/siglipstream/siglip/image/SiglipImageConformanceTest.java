package dev.siglipstream.siglip.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.siglipstream.siglip.internal.Npy;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Decoding and preprocessing checked against transformers 4.45.1 + Pillow 9.4 golden arrays. */
class SiglipImageConformanceTest {
    static final Path ROOT = ConformanceData.ROOT;
    static JsonNode cases;
    static SiglipImageProcessor model;
    static SiglipImageProcessor library;

    @BeforeAll
    static void load() throws Exception {
        cases = new ObjectMapper().readTree(ROOT.resolve("cases.json").toFile());
        ImageProcessorConfig cfg =
                ImageProcessorConfig.load(ROOT.resolve("models/siglip-tiny/preprocessor_config.json"));
        model = new SiglipImageProcessor(cfg, ImageDecoder.DEFAULT_MAX_PIXELS);
        library = new SiglipImageProcessor(ImageProcessorConfig.defaults(), ImageDecoder.DEFAULT_MAX_PIXELS);
    }

    static Stream<String> ids() throws Exception {
        JsonNode c = new ObjectMapper().readTree(ROOT.resolve("cases.json").toFile());
        List<String> out = new ArrayList<>();
        c.get("images").forEach(n -> out.add(n.get("id").asText()));
        return out.stream();
    }

    static JsonNode image(String id) {
        for (JsonNode n : cases.get("images")) {
            if (n.get("id").asText().equals(id)) return n;
        }
        throw new AssertionError("no case " + id);
    }

    static byte[] file(String id) throws Exception {
        return Files.readAllBytes(ROOT.resolve(image(id).get("path").asText()));
    }

    static byte[] npyBytes(String rel) throws Exception {
        return Npy.read(ROOT.resolve(rel)).bytes();
    }

    @Test
    void modelConfigIsTheTinyModels64x64() {
        assertThat(model.height()).isEqualTo(64);
        assertThat(model.width()).isEqualTo(64);
        assertThat(model.config().resample()).isEqualTo(3);
        assertThat(model.config().rescaleFactor()).isEqualTo(0.00392156862745098);
    }

    @ParameterizedTest
    @MethodSource("ids")
    void decodedPixelsMatchLoadImage(String id) throws Exception {
        JsonNode c = image(id);
        RgbImage img = model.decode(file(id));
        assertThat(new int[] {img.width(), img.height()})
                .containsExactly(c.get("decoded_size_wh").get(0).asInt(), c.get("decoded_size_wh").get(1).asInt());
        boolean jpeg = c.get("file").asText().endsWith(".jpg");
        int tolerance = jpeg ? 1 : 0;
        if (!c.get("decoded_rgb").isNull()) {
            byte[] golden = npyBytes(c.get("decoded_rgb").get("file").asText());
            int max = maxDiff(img.rgb(), golden);
            System.out.printf("decode %-20s max |diff| = %d (%d of %d bytes differ)%n", id, max,
                    countDiff(img.rgb(), golden), golden.length);
            assertThat(max).as("max decoded diff for %s", id).isLessThanOrEqualTo(tolerance);
        } else {
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(img.rgb()));
            int w = img.width();
            int h = img.height();
            byte[] stride = new byte[((h + 9) / 10) * ((w + 9) / 10) * 3];
            int o = 0;
            for (int y = 0; y < h; y += 10) {
                for (int x = 0; x < w; x += 10) {
                    for (int ch = 0; ch < 3; ch++) stride[o++] = (byte) img.get(x, y, ch);
                }
            }
            int max = maxDiff(stride, npyBytes(c.get("decoded_rgb_stride10").get("file").asText()));
            JsonNode crops = c.get("decoded_rgb_crops");
            int[][] origins = {{0, 0}, {w / 2 - 32, h / 2 - 32}, {w - 64, h - 64}};
            String[] names = {"top_left_64", "center_64", "bottom_right_64"};
            for (int i = 0; i < 3; i++) {
                byte[] crop = crop(img, origins[i][0], origins[i][1], 64, 64);
                max = Math.max(max, maxDiff(crop, npyBytes(crops.get(names[i]).get("file").asText())));
            }
            System.out.printf("decode %-20s max |diff| (stride10 + crops) = %d, sha256 %s%n", id, max,
                    sha.equals(c.get("decoded_rgb_sha256").asText()) ? "identical" : "differs");
            assertThat(max).isLessThanOrEqualTo(tolerance);
            if (tolerance == 0) assertThat(sha).isEqualTo(c.get("decoded_rgb_sha256").asText());
        }
    }

    @ParameterizedTest
    @MethodSource("ids")
    void resizeFromGoldenPixelsIsExact(String id) throws Exception {
        JsonNode c = image(id);
        if (c.get("decoded_rgb").isNull()) return; // only shipped as a subsample
        int w = c.get("decoded_size_wh").get(0).asInt();
        int h = c.get("decoded_size_wh").get(1).asInt();
        RgbImage golden = new RgbImage(w, h, npyBytes(c.get("decoded_rgb").get("file").asText()));
        for (String key : new String[] {"pixel_values", "pixel_values_224"}) {
            float[] expected = Npy.read(ROOT.resolve(c.get(key).get("file").asText())).floats();
            SiglipImageProcessor p = key.equals("pixel_values") ? model : library;
            FloatBuffer dst = FloatBuffer.allocate(expected.length);
            p.preprocess(golden, dst);
            float[] actual = dst.array();
            assertThat(countDiffer(actual, expected)).as("%s %s differing floats", id, key).isZero();
        }
    }

    @ParameterizedTest
    @MethodSource("ids")
    void pixelValuesMatchTheProcessor(String id) throws Exception {
        JsonNode c = image(id);
        for (String key : new String[] {"pixel_values", "pixel_values_224"}) {
            float[] expected = Npy.read(ROOT.resolve(c.get(key).get("file").asText())).floats();
            SiglipImageProcessor p = key.equals("pixel_values") ? model : library;
            PixelBatch batch = p.preprocess(List.of(file(id)));
            assertThat(batch.shape()).containsExactly(1, 3, p.height(), p.width());
            float[] actual = new float[expected.length];
            batch.values().get(actual);
            int differ = countDiffer(actual, expected);
            double max = 0;
            for (int i = 0; i < actual.length; i++) max = Math.max(max, Math.abs(actual[i] - expected[i]));
            System.out.printf("%-16s %-20s %d of %d floats differ, max |diff| %.6f%n", key, id, differ,
                    expected.length, max);
            assertThat(differ).isLessThanOrEqualTo(expected.length / 1000);
            assertThat(max).isLessThanOrEqualTo(2.0 / 255 + 1e-6);
        }
    }

    @Test
    void batchIsTheStackOfSingleImages() throws Exception {
        List<byte[]> files = new ArrayList<>();
        for (JsonNode n : cases.get("images")) {
            if (!n.get("id").asText().equals("large_3000x2000")) files.add(file(n.get("id").asText()));
        }
        PixelBatch batch = model.preprocess(files);
        assertThat(batch.values().isDirect()).isTrue();
        assertThat(batch.values().order()).isEqualTo(java.nio.ByteOrder.nativeOrder());
        assertThat(batch.count()).isEqualTo(files.size());
        float[] all = new float[batch.values().remaining()];
        batch.values().get(all);
        float[] expected = Npy.read(ROOT.resolve("golden/model/pixel_values_batch.npy")).floats();
        // the golden batch holds all 11 images in case order; large_3000x2000 is the last one
        float[] prefix = java.util.Arrays.copyOf(expected, all.length);
        assertThat(countDiffer(all, prefix)).isLessThanOrEqualTo(all.length / 1000);
    }

    static byte[] crop(RgbImage img, int x0, int y0, int w, int h) {
        byte[] out = new byte[w * h * 3];
        int o = 0;
        for (int y = y0; y < y0 + h; y++) {
            for (int x = x0; x < x0 + w; x++) {
                for (int c = 0; c < 3; c++) out[o++] = (byte) img.get(x, y, c);
            }
        }
        return out;
    }

    static int maxDiff(byte[] a, byte[] b) {
        assertThat(a.length).isEqualTo(b.length);
        int max = 0;
        for (int i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] & 0xff) - (b[i] & 0xff)));
        return max;
    }

    static int countDiff(byte[] a, byte[] b) {
        int n = 0;
        for (int i = 0; i < a.length; i++) if (a[i] != b[i]) n++;
        return n;
    }

    static int countDiffer(float[] a, float[] b) {
        assertThat(a.length).isEqualTo(b.length);
        int n = 0;
        for (int i = 0; i < a.length; i++) if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(b[i])) n++;
        return n;
    }
}
