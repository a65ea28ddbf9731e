package dev.siglipstream.cli;

import dev.siglipstream.bench.SyntheticPhoto;
import dev.siglipstream.siglip.image.DecodeMode;
import dev.siglipstream.siglip.image.ImageDecoder;
import dev.siglipstream.siglip.image.ImageProcessorConfig;
import dev.siglipstream.siglip.image.PillowResize;
import dev.siglipstream.siglip.image.RgbImage;
import dev.siglipstream.siglip.image.SiglipImageProcessor;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The "real photo sizes" part of {@code siglip bench}: for each image (a generated photo-like JPEG of
 * a given size, or a file), CPU milliseconds per image on one thread of Java's decode, resize, full
 * exact preprocessing and full fast preprocessing, beside Pillow + NumPy's decode, resize, full and
 * full with {@code draft()} on the same bytes. One table for all sizes.
 */
final class ImageSizesBench {
    /** An image to measure: its label (WxH or file name) and its bytes. */
    record Input(String label, byte[] bytes) {
        /** {@code WxH} (a generated quality-90 photo-like JPEG) or a path to an image file. */
        static Input parse(String spec) throws IOException {
            String s = spec.trim();
            if (s.matches("\\d+x\\d+")) {
                String[] wh = s.split("x");
                int w = Integer.parseInt(wh[0]);
                int h = Integer.parseInt(wh[1]);
                if (w < 1 || h < 1 || (long) w * h > 100_000_000L) {
                    throw new IllegalArgumentException("--image-sizes: " + s + " must be 1x1 to 100 megapixels");
                }
                return new Input(s, SyntheticPhoto.jpeg(w, h, 0.9f));
            }
            Path file = Path.of(s);
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("--image-sizes: '" + s + "' is neither WxH nor an image file");
            }
            return new Input(file.getFileName().toString(), Files.readAllBytes(file));
        }
    }

    /** One size's figures: CPU ms per image of each step (NaN where not measured). */
    record Row(String label, String decoded, int bytes, double decode, double resize, double exact, double fast,
            double pillowDecode, double pillowResize, double pillowFull, double pillowDraft) {}

    private final int size;
    private final long maxPixels;
    private final int runs;
    private final double minSeconds;
    private final Path python;

    ImageSizesBench(int size, long maxPixels, int runs, double minSeconds, Path python) {
        this.size = size;
        this.maxPixels = maxPixels;
        this.runs = runs;
        this.minSeconds = minSeconds;
        this.python = python;
    }

    @FunctionalInterface
    interface Step {
        void run() throws Exception;
    }

    /** Measures every input and prints the table; {@code python} null skips Pillow. */
    List<Row> run(List<Input> inputs, PrintStream out) throws Exception {
        SiglipImageProcessor exact = new SiglipImageProcessor(ImageProcessorConfig.defaults().withSize(size, size), maxPixels);
        SiglipImageProcessor fast = exact.withDecodeMode(DecodeMode.FAST);
        ImageDecoder decoder = new ImageDecoder(maxPixels);
        FloatBuffer one = SiglipImageProcessor.allocate(1, size, size);
        List<Row> rows = new ArrayList<>();
        for (Input in : inputs) {
            byte[] bytes = in.bytes();
            RgbImage decoded = decoder.decode(bytes);
            // decodeTransient: the pixel buffer reused per thread, as the preprocessing path does
            Step[] steps = {() -> decoder.decodeTransient(bytes), () -> PillowResize.bicubic(decoded, size, size), () -> {
                one.clear();
                exact.preprocess(bytes, one);
            }, () -> {
                one.clear();
                fast.preprocess(bytes, one);
            }};
            // the steps take turns within each round, so a change in the machine's load hits all alike
            double[][] cpu = new double[steps.length][runs];
            for (Step s : steps) time(s, minSeconds * 0.5);
            for (int r = 0; r < runs; r++) {
                for (int i = 0; i < steps.length; i++) cpu[i][r] = time(steps[i], minSeconds);
            }
            double[] pillow = {Double.NaN, Double.NaN, Double.NaN, Double.NaN};
            if (python != null) {
                double full = median(cpu[2]);
                int perRun = Math.max(2, (int) Math.ceil(minSeconds * 1000 / Math.max(1.0, 2 * full)));
                PillowBaseline.Result p = PillowBaseline.run(python, bytes, size, runs, perRun, "decode,resize,full,draft");
                String[] names = {"decode", "resize", "full", "draft"};
                for (int i = 0; i < names.length; i++) {
                    PillowBaseline.Step st = p.steps().get(names[i]);
                    if (st != null) pillow[i] = st.cpuMs();
                }
            }
            Row row = new Row(in.label(), decoded.width() + "x" + decoded.height(), bytes.length, median(cpu[0]),
                    median(cpu[1]), median(cpu[2]), median(cpu[3]), pillow[0], pillow[1], pillow[2], pillow[3]);
            rows.add(row);
            out.println(line(row));
        }
        print(rows, out);
        return rows;
    }

    /** One machine-readable line per size, as it is measured. */
    String line(Row r) {
        return String.format(Locale.ROOT, "image-size %s decoded=%s bytes=%d to=%dx%d cpu_ms/image: decode=%.2f "
                + "resize=%.2f exact=%.2f fast=%.2f pillow_decode=%.2f pillow_resize=%.2f pillow_full=%.2f "
                + "pillow_draft=%.2f", r.label(), r.decoded(), r.bytes(), size, size, r.decode(), r.resize(), r.exact(),
                r.fast(), r.pillowDecode(), r.pillowResize(), r.pillowFull(), r.pillowDraft());
    }

    /** The closing table: per size, Java and Pillow side by side, images/s per core and cores for 2,500 images/s. */
    void print(List<Row> rows, PrintStream out) {
        out.printf(Locale.ROOT, "%nReal photo sizes: CPU ms per image on one thread (median of %d runs), JPEG -> %dx%d "
                + "pixel values. exact = bit-exact with transformers + Pillow; fast = --decode fast; pillow draft = "
                + "Image.draft('RGB', (%d, %d)) before the resize.%n", runs, size, size, 2 * size, 2 * size);
        out.printf(Locale.ROOT, "%-14s %8s | %7s %7s %7s %7s | %7s %7s %7s %7s | %10s %10s | %12s %12s%n", "image", "KB",
                "decode", "resize", "exact", "fast", "pil dec", "pil res", "pil full", "pil drft", "exact/pil", "fast/exact",
                "img/s/core", "cores@2500/s");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "%-14s %8d | %7.2f %7.2f %7.2f %7.2f | %7.2f %7.2f %7.2f %7.2f | %10.2f %10.2f | "
                    + "%5.0f %6.0f | %5.1f %6.1f%n", r.label(), r.bytes() / 1024, r.decode(), r.resize(), r.exact(), r.fast(),
                    r.pillowDecode(), r.pillowResize(), r.pillowFull(), r.pillowDraft(), r.exact() / r.pillowFull(),
                    r.fast() / r.exact(), 1000 / r.exact(), 1000 / r.fast(), 2.5 * r.exact(), 2.5 * r.fast());
        }
        out.println("img/s/core and cores@2500/s: exact, then fast; cores@2500/s = preprocessing cores to keep one GPU "
                + "scoring 2,500 images/s fed (CPU time only: Kafka, Flink and the JIT come on top).");
    }

    /** CPU ms per call of {@code step} on this thread, over calls lasting at least {@code seconds}. */
    private static double time(Step step, double seconds) throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long cpu0 = mx.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        int n = 0;
        do {
            step.run();
            n++;
        } while (System.nanoTime() - start < seconds * 1e9 || n < 2);
        return (mx.getCurrentThreadCpuTime() - cpu0) / 1e6 / n;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
