package dev.siglipstream.siglip.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.siglipstream.bench.SyntheticPhoto;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** {@link DecodeMode#FAST}: Pillow's draft scale rule, what it decodes at reduced scale and what it leaves exact. */
class FastDecodeTest {
    private static final SiglipImageProcessor EXACT =
            new SiglipImageProcessor(ImageProcessorConfig.defaults(), ImageDecoder.DEFAULT_MAX_PIXELS);
    private static final SiglipImageProcessor FAST = EXACT.withDecodeMode(DecodeMode.FAST);

    @Test
    void scaleFollowsPillowsDraftRule() {
        // JpegImagePlugin.draft: scale = min(W // w, H // h), then the largest of 8, 4, 2, 1 not above it
        assertThat(ScaledJpegDecoder.draftScale(4000, 3000, 448, 448)).isEqualTo(4); // min(8, 6) = 6
        assertThat(ScaledJpegDecoder.draftScale(4032, 3584, 448, 448)).isEqualTo(8); // min(9, 8) = 8
        assertThat(ScaledJpegDecoder.draftScale(1920, 1080, 448, 448)).isEqualTo(2); // min(4, 2) = 2
        assertThat(ScaledJpegDecoder.draftScale(1792, 1792, 448, 448)).isEqualTo(4);
        assertThat(ScaledJpegDecoder.draftScale(1791, 1792, 448, 448)).isEqualTo(2);
        assertThat(ScaledJpegDecoder.draftScale(640, 480, 448, 448)).isEqualTo(1);
        assertThat(ScaledJpegDecoder.draftScale(3000, 2000, 128, 128)).isEqualTo(8); // min(23, 15)
    }

    @Test
    void decodesAtTheScaledSizeRoundedUp() {
        byte[] jpeg = SyntheticPhoto.jpeg(1801, 1203, 0.9f);
        RgbImage small = new ScaledJpegDecoder().decode(jpeg, 4);
        assertThat(small.width()).isEqualTo(451); // ceil(1801 / 4), as libjpeg's scaled output
        assertThat(small.height()).isEqualTo(301);
        RgbImage eighth = new ScaledJpegDecoder().decode(jpeg, 8);
        assertThat(eighth.width()).isEqualTo(226);
        assertThat(eighth.height()).isEqualTo(151);
    }

    @Test
    void scaledPixelsAreTheBlockAveragesOfTheExactOnes() throws Exception {
        byte[] jpeg = SyntheticPhoto.jpeg(1600, 1200, 0.9f);
        RgbImage exact = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS).decode(jpeg);
        RgbImage small = new ScaledJpegDecoder().decode(jpeg, 4);
        double sum = 0;
        int n = 0;
        for (int y = 0; y < small.height(); y++) {
            for (int x = 0; x < small.width(); x++) {
                for (int c = 0; c < 3; c++) {
                    int avg = 0;
                    for (int dy = 0; dy < 4; dy++) {
                        for (int dx = 0; dx < 4; dx++) avg += exact.get(4 * x + dx, 4 * y + dy, c);
                    }
                    sum += Math.abs(small.get(x, y, c) - avg / 16.0);
                    n++;
                }
            }
        }
        assertThat(sum / n).as("mean |scaled - 4x4 average of exact|").isLessThan(3.0);
    }

    @Test
    void restartMarkersAreFollowed() throws Exception {
        // one picture encoded twice, with and without a restart marker every 7 MCUs: same pixels
        BufferedImage img = ImageIO.read(new java.io.ByteArrayInputStream(SyntheticPhoto.jpeg(1800, 1200, 0.9f)));
        byte[] plain = encode(img, 0);
        byte[] restarts = encode(img, 7);
        int markers = 0;
        for (int i = 0; i + 1 < restarts.length; i++) {
            if ((restarts[i] & 0xff) == 0xFF && (restarts[i + 1] & 0xff) >= 0xD0 && (restarts[i + 1] & 0xff) <= 0xD7) markers++;
        }
        assertThat(markers).as("RSTn markers written").isGreaterThan(100);
        assertThat(Arrays.equals(new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS).decode(restarts).rgb(),
                new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS).decode(plain).rgb())).as("ImageIO: same pixels").isTrue();
        assertThat(Arrays.equals(new ScaledJpegDecoder().decode(restarts, 4).rgb(), new ScaledJpegDecoder().decode(plain, 4).rgb()))
                .as("scaled decode: same pixels with restart markers").isTrue();
    }

    /** {@code img} as a quality-90 JPEG, with a DRI restart interval of {@code interval} MCUs (0: none). */
    private static byte[] encode(BufferedImage img, int interval) throws Exception {
        javax.imageio.ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        javax.imageio.ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(javax.imageio.ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(0.9f);
        javax.imageio.metadata.IIOMetadata meta = writer.getDefaultImageMetadata(new javax.imageio.ImageTypeSpecifier(img), param);
        if (interval > 0) {
            String format = "javax_imageio_jpeg_image_1.0";
            var root = (javax.imageio.metadata.IIOMetadataNode) meta.getAsTree(format);
            var dri = new javax.imageio.metadata.IIOMetadataNode("dri");
            dri.setAttribute("interval", Integer.toString(interval));
            var seq = (javax.imageio.metadata.IIOMetadataNode) root.getElementsByTagName("markerSequence").item(0);
            seq.insertBefore(dri, seq.getFirstChild());
            meta.setFromTree(format, root);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var os = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(os);
            writer.write(null, new javax.imageio.IIOImage(img, null, meta), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    @Test
    void greyscaleJpegsDecodeScaledToo() throws Exception {
        BufferedImage grey = new BufferedImage(1800, 1800, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 1800; y++) {
            for (int x = 0; x < 1800; x++) grey.getRaster().setSample(x, y, 0, (x / 7 + y / 3) & 255);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(grey, "jpeg", out);
        byte[] jpeg = out.toByteArray();
        RgbImage small = new ScaledJpegDecoder().decode(jpeg, 4);
        assertThat(small.width()).isEqualTo(450);
        assertThat(small.get(100, 100, 0)).isEqualTo(small.get(100, 100, 2));
        FloatBuffer a = SiglipImageProcessor.allocate(1, 224, 224);
        FloatBuffer b = SiglipImageProcessor.allocate(1, 224, 224);
        EXACT.preprocess(jpeg, a);
        FAST.preprocess(jpeg, b);
        double max = 0;
        for (int i = 0; i < a.capacity(); i++) max = Math.max(max, Math.abs(a.get(i) - b.get(i)) * 127.5);
        assertThat(max).isGreaterThan(0).isLessThan(16);
    }

    @Test
    void otherInputsTakeTheExactPath() throws Exception {
        // PNG, progressive JPEG, a JPEG under 8x the model's size: identical pixels in both modes
        for (String id : List.of("coco_000000039769.png", "progressive.jpg", "large_3000x2000.jpg", "photo_q90_420.jpg")) {
            byte[] bytes = Files.readAllBytes(ConformanceData.ROOT.resolve("images").resolve(id));
            float[] exact = values(EXACT.preprocess(List.of(bytes)));
            float[] fast = values(FAST.preprocess(List.of(bytes)));
            // 3000x2000 at 224: min(3000 // 448, 2000 // 448) = 4 -> scaled; the others are exact
            assertThat(Arrays.equals(exact, fast)).as(id).isEqualTo(!id.equals("large_3000x2000.jpg"));
        }
        byte[] hd = SyntheticPhoto.jpeg(1920, 1080, 0.9f); // draft scale 1/2: not worth it, exact
        assertThat(values(FAST.preprocess(List.of(hd)))).isEqualTo(values(EXACT.preprocess(List.of(hd))));
    }

    @Test
    void truncatedAndOversizedJpegsFailAsInExactMode() {
        byte[] jpeg = SyntheticPhoto.jpeg(1800, 1800, 0.9f);
        byte[] cut = Arrays.copyOf(jpeg, jpeg.length / 2);
        assertThatThrownBy(() -> FAST.preprocess(List.of(cut))).isInstanceOf(ImageDecodeException.class)
                .hasMessageContaining("truncated");
        SiglipImageProcessor small = new SiglipImageProcessor(ImageProcessorConfig.defaults(), 1_000_000, DecodeMode.FAST);
        assertThatThrownBy(() -> small.preprocess(List.of(jpeg))).isInstanceOf(ImageDecodeException.class)
                .extracting(e -> ((ImageDecodeException) e).reason()).isEqualTo(ImageDecodeException.Reason.TOO_LARGE);
    }

    @Test
    void modesParse() {
        assertThat(DecodeMode.parse("Fast")).isEqualTo(DecodeMode.FAST);
        assertThat(DecodeMode.parse("exact")).isEqualTo(DecodeMode.EXACT);
        assertThatThrownBy(() -> DecodeMode.parse("draft")).hasMessageContaining("exact or fast");
    }

    private static float[] values(PixelBatch batch) {
        float[] v = new float[batch.values().limit()];
        batch.values().duplicate().position(0).get(v);
        return v;
    }
}
