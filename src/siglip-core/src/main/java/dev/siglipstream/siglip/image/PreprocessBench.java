package dev.siglipstream.siglip.image;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntFunction;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Single-thread timing of decode and full preprocessing (decode → 224×224 bicubic → normalise) for
 * a 640×480 JPEG made at quality 0.9 from a PNG; prints the median ms/image of 5 runs after warm-up.
 *
 * <p>Usage: {@code java -cp ... dev.siglipstream.siglip.image.PreprocessBench [png] [images-per-run]}
 */
public final class PreprocessBench {
    private PreprocessBench() {}

    public static void main(String[] args) throws Exception {
        Path png = Path.of(args.length > 0 ? args[0]
                : "src/siglip-testutils/src/main/resources/conformance/images/coco_000000039769.png");
        int perRun = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        byte[] jpeg = toJpeg(ImageIO.read(png.toFile()), 0.9f);
        SiglipImageProcessor processor =
                new SiglipImageProcessor(ImageProcessorConfig.defaults(), ImageDecoder.DEFAULT_MAX_PIXELS);
        RgbImage probe = processor.decode(jpeg);
        System.out.printf("input: %s -> %dx%d JPEG q0.9, %d bytes; %d images per run, 1 thread%n",
                png.getFileName(), probe.width(), probe.height(), jpeg.length, perRun);
        FloatBuffer dst = SiglipImageProcessor.allocate(1, 224, 224);

        Task decode = () -> processor.decode(jpeg);
        Task resize = () -> {
            dst.clear();
            processor.preprocess(probe, dst);
        };
        Task full = () -> {
            dst.clear();
            processor.preprocess(jpeg, dst);
        };
        report("decode only", decode, perRun);
        report("resize+normalise (decoded input)", resize, perRun);
        report("full preprocess", full, perRun);
    }

    private interface Task {
        void run() throws Exception;
    }

    private static void report(String name, Task task, int perRun) throws Exception {
        for (int i = 0; i < perRun; i++) task.run(); // warm-up: let C2 compile the hot loops
        // CPU time of this thread as well as wall time: on a shared machine wall time includes waiting.
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        double[] ms = new double[5];
        double[] cpu = new double[5];
        for (int r = 0; r < ms.length; r++) {
            long c0 = mx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            for (int i = 0; i < perRun; i++) task.run();
            ms[r] = (System.nanoTime() - t0) / 1e6 / perRun;
            cpu[r] = (mx.getCurrentThreadCpuTime() - c0) / 1e6 / perRun;
        }
        System.out.printf("%-34s median %.3f ms/image wall, %.3f ms/image CPU (wall runs: %s)%n", name,
                median(ms), median(cpu), fmt(ms));
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static String fmt(double[] v) {
        StringBuilder sb = new StringBuilder();
        for (double d : v) sb.append(sb.length() == 0 ? "" : ", ").append(String.format("%.3f", d));
        return sb.toString();
    }

    /** {@code img} as a baseline JPEG (4:2:0) at {@code quality} (0..1, ImageIO's scale = libjpeg's / 100). */
    /**
     * {@code count} distinct 64×64 images of a few coloured shapes, image {@code i} encoded in the
     * ImageIO format {@code format.apply(i)} ("jpg", "png", ...); the same seed gives the same images.
     */
    public static List<byte[]> shapeImages(int count, long seed, IntFunction<String> format) {
        Random r = new Random(seed);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
            g.fillRect(0, 0, 64, 64);
            for (int k = 0; k < 3; k++) {
                g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
                g.fillOval(r.nextInt(48), r.nextInt(48), 8 + r.nextInt(24), 8 + r.nextInt(24));
            }
            g.dispose();
            try {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                ImageIO.write(img, format.apply(i), bytes);
                out.add(bytes.toByteArray());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    public static byte[] toJpeg(BufferedImage img, float quality) throws java.io.IOException {
        BufferedImage rgb = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
        rgb.getGraphics().drawImage(img, 0, 0, null);
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(quality);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream os = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(os);
            writer.write(null, new IIOImage(rgb, null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }
}
