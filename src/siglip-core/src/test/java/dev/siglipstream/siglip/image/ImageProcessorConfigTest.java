package dev.siglipstream.siglip.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code preprocessor_config.json} parsing, defaults and the per-value arithmetic. */
class ImageProcessorConfigTest {
    @TempDir
    Path dir;

    private Path json(String text) throws Exception {
        Path p = dir.resolve("preprocessor_config.json");
        Files.writeString(p, text);
        return p;
    }

    @Test
    void readsTheTinyModelsConfig() {
        ImageProcessorConfig c = ImageProcessorConfig.load(
                ConformanceData.ROOT.resolve("models/siglip-tiny/preprocessor_config.json"));
        assertThat(c).isEqualTo(ImageProcessorConfig.defaults().withSize(64, 64));
        assertThat(c.imageMean()).containsExactly(0.5f, 0.5f, 0.5f);
    }

    @Test
    void omittedKeysTakeTransformersDefaults() throws Exception {
        ImageProcessorConfig c = ImageProcessorConfig.load(json("{}"));
        assertThat(c.height()).isEqualTo(224);
        assertThat(c.width()).isEqualTo(224);
        assertThat(c.resample()).isEqualTo(3);
        assertThat(c.rescaleFactor()).isEqualTo(1.0 / 255);
        assertThat(c.doResize()).isTrue();
        assertThat(c.doRescale()).isTrue();
        assertThat(c.doNormalize()).isTrue();
        assertThat(c.imageStd()).containsExactly(0.5f, 0.5f, 0.5f);
        assertThat(c).isEqualTo(ImageProcessorConfig.defaults());
    }

    @Test
    void readsEveryField() throws Exception {
        ImageProcessorConfig c = ImageProcessorConfig.load(json("""
                {"size": {"height": 384, "width": 256}, "resample": 2, "do_resize": false,
                 "do_rescale": false, "rescale_factor": 0.5, "do_normalize": false,
                 "image_mean": [0.1, 0.2, 0.3], "image_std": 0.25, "unknown_key": [1]}"""));
        assertThat(c.height()).isEqualTo(384);
        assertThat(c.width()).isEqualTo(256);
        assertThat(c.resample()).isEqualTo(2);
        assertThat(c.doResize()).isFalse();
        assertThat(c.doRescale()).isFalse();
        assertThat(c.rescaleFactor()).isEqualTo(0.5);
        assertThat(c.doNormalize()).isFalse();
        assertThat(c.imageMean()).containsExactly(0.1f, 0.2f, 0.3f);
        assertThat(c.imageStd()).containsExactly(0.25f, 0.25f, 0.25f);
    }

    @Test
    void malformedFilesNameFileAndField() throws Exception {
        Path p = json("{\"size\": {\"height\": \"big\", \"width\": 3}}");
        assertThatThrownBy(() -> ImageProcessorConfig.load(p)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("size.height").hasMessageContaining("\"big\"");
        Path q = json("{\"size\": {\"shortest_edge\": 224}}");
        assertThatThrownBy(() -> ImageProcessorConfig.load(q)).hasMessageContaining("'size'");
        Path r = json("{\"image_mean\": [0.5, 0.5]}");
        assertThatThrownBy(() -> ImageProcessorConfig.load(r)).hasMessageContaining("image_mean")
                .hasMessageContaining("[0.5,0.5]");
        Path s = json("{\"do_resize\": \"yes\"}");
        assertThatThrownBy(() -> ImageProcessorConfig.load(s)).hasMessageContaining("do_resize");
        Path t = json("{not json");
        assertThatThrownBy(() -> ImageProcessorConfig.load(t)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(t.toString()).hasMessageContaining("not valid JSON");
        Path u = json("{\"resample\": 1}");
        assertThatThrownBy(() -> ImageProcessorConfig.load(u)).hasMessageContaining(u.toString())
                .hasMessageContaining("resample 1 is not supported");
        Path v = json("{\"image_std\": [0.5, 0, 0.5]}");
        assertThatThrownBy(() -> ImageProcessorConfig.load(v)).hasMessageContaining("image_std");
    }

    @Test
    void valuesFollowNumpyFloat32Arithmetic() {
        SiglipImageProcessor p = new SiglipImageProcessor(ImageProcessorConfig.defaults().withSize(1, 2), 100);
        RgbImage img = new RgbImage(2, 1, new byte[] {0, (byte) 255, (byte) 128, 1, 2, 3});
        FloatBuffer dst = FloatBuffer.allocate(6);
        p.preprocess(img, dst);
        for (int i = 0; i < 6; i++) {
            int v = img.rgb()[(i % 2) * 3 + i / 2] & 0xff;
            float rescaled = (float) (v * 0.00392156862745098);
            assertThat(dst.get(i)).isEqualTo((rescaled - 0.5f) / 0.5f);
        }
        assertThat(dst.get(0)).isEqualTo(-1f);
        assertThat(dst.get(2)).isEqualTo(1f); // G of pixel 0 = 255
        assertThat(dst.position()).isEqualTo(6);
    }

    @Test
    void withoutResizeTheImageMustAlreadyFit() {
        ImageProcessorConfig c = new ImageProcessorConfig(2, 2, false, true, 1.0 / 255, true,
                new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.5f, 0.5f, 0.5f}, 3);
        SiglipImageProcessor p = new SiglipImageProcessor(c, 100);
        assertThatThrownBy(() -> p.preprocess(new RgbImage(3, 2, new byte[18]), FloatBuffer.allocate(12)))
                .hasMessageContaining("do_resize is false").hasMessageContaining("3x2");
    }

    @Test
    void allocateIsDirectAndNative() {
        FloatBuffer b = SiglipImageProcessor.allocate(2, 4, 5);
        assertThat(b.isDirect()).isTrue();
        assertThat(b.capacity()).isEqualTo(120);
        assertThat(b.order()).isEqualTo(java.nio.ByteOrder.nativeOrder());
        assertThat(new PixelBatch(b, 2, 4, 5).shape()).containsExactly(2, 3, 4, 5);
    }
}
