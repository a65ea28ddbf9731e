package dev.siglipstream.cli;

import dev.siglipstream.siglip.image.ImageDecoder;
import dev.siglipstream.siglip.image.SiglipImageProcessor;
import dev.siglipstream.siglip.onnx.SiglipModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code siglip bench}: vision-tower images/s per batch size and preprocessing images/s per core.
 * Each figure is the median of several timed runs, with the min and max beside it.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark the vision tower (images/s at each batch size) and preprocessing of a 640x480 JPEG "
                + "(images/s on one core). Each figure: median of --runs runs (min and max beside it)."})
final class BenchCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Mixin EndToEndOptions endToEndOptions;

    @Option(names = "--batch-sizes", split = ",", defaultValue = "1,8,16,32,64", description = "Vision batch sizes. Default: ${DEFAULT-VALUE}.")
    List<Integer> batchSizes;

    @Option(names = "--runs", defaultValue = "5", description = "Timed runs per figure. Default: ${DEFAULT-VALUE}.")
    int runs;

    @Option(names = "--min-seconds", defaultValue = "1.0", description = "Each timed run repeats its work for at least this long. Default: ${DEFAULT-VALUE}.")
    double minSeconds;

    @Option(names = "--skip-vision", description = "Only benchmark preprocessing.")
    boolean skipVision;

    /** A figure: per-second rates of several runs. */
    record Figure(double median, double min, double max, int runs) {
        static Figure of(double[] rates) {
            double[] s = rates.clone();
            Arrays.sort(s);
            double median = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
            return new Figure(median, s[0], s[s.length - 1], s.length);
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%.2f (min %.2f, max %.2f, runs %d)", median, min, max, runs);
        }
    }

    @FunctionalInterface
    interface Work {
        /** Does one unit of work and returns how many items it processed. */
        int run() throws Exception;
    }

    /** Raw vision images/s (median) per batch size, for the closing table. */
    private final java.util.SortedMap<Integer, Double> rawRates = new java.util.TreeMap<>();
    /** Decode-only and full preprocessing images/s on one core, for the closing table. */
    private double decodeRate = Double.NaN;
    private double preprocessRate = Double.NaN;
    private String preprocessWhat = "";

    @Override
    public Integer call() throws Exception {
        if (endToEndOptions.quick) {
            runs = 1;
            minSeconds = Math.min(minSeconds, 0.2);
        }
        benchModel();
        return benchEndToEnd();
    }

    /** Runs the job end to end (unless --no-end-to-end) and prints the closing table. */
    private int benchEndToEnd() throws Exception {
        dev.siglipstream.bench.EndToEndBench.Settings settings = null;
        dev.siglipstream.bench.EndToEndBench.Result e2e = null;
        if (endToEndOptions.endToEnd) {
            var best = BenchTable.best(rawRates);
            settings = endToEndOptions.settings(modelOptions.folder().toString(), modelOptions.variant, modelOptions.threads,
                    best == null ? Double.NaN : best.getValue(), best == null ? 32 : best.getKey());
            e2e = dev.siglipstream.bench.EndToEndBench.run(settings, System.err);
        }
        new BenchTable(System.out).print("siglip bench: " + modelOptions.model + " (" + modelOptions.variant + ", intra-op threads "
                        + (modelOptions.threads == 0 ? "auto" : modelOptions.threads) + ", cores "
                        + Runtime.getRuntime().availableProcessors() + ")", rawRates, decodeRate, preprocessRate, preprocessWhat,
                settings, e2e, dev.siglipstream.bench.EndToEndBench.peakRssBytes());
        return e2e == null || e2e.allAccounted() ? 0 : 1;
    }

    private void benchModel() throws Exception {
        if (runs < 1) throw new IllegalArgumentException("--runs must be >= 1");
        var folder = modelOptions.folder();
        try (SiglipModel model = SiglipModel.load(folder, modelOptions.onnxOptions(), modelOptions.maxPixels())) {
            SiglipImageProcessor processor = model.imageProcessor();
            int h = processor.height();
            int w = processor.width();
            System.out.printf("model: %s provider=%s variant=%s image=%dx%d dim=%d cores=%d%n", folder, model.provider(),
                    modelOptions.onnxOptions().variant().name().toLowerCase(java.util.Locale.ROOT), w, h,
                    model.embeddingDim(), Runtime.getRuntime().availableProcessors());
            if (!skipVision) {
                for (int batch : batchSizes) {
                    if (batch < 1) throw new IllegalArgumentException("batch sizes must be >= 1, got " + batch);
                    FloatBuffer pixels = SiglipImageProcessor.allocate(batch, h, w);
                    for (int i = 0; i < pixels.capacity(); i++) pixels.put(i, (float) Math.sin(i * 0.001));
                    Figure f = measure(() -> {
                        model.imageEmbeddings(pixels.duplicate(), batch);
                        return batch;
                    });
                    System.out.printf("vision batch=%d images/s=%s%n", batch, f);
                    rawRates.put(batch, f.median());
                }
            }
            byte[] jpeg = benchJpeg();
            ImageDecoder decoder = new ImageDecoder(modelOptions.maxPixels());
            FloatBuffer one = SiglipImageProcessor.allocate(1, h, w);
            Figure decode = measure(() -> {
                decoder.decode(jpeg);
                return 1;
            });
            Figure full = measure(() -> {
                one.clear();
                processor.preprocess(jpeg, one);
                return 1;
            });
            System.out.printf("decode jpeg 640x480 images/s/core=%s ms/image=%.3f%n", decode, 1000 / decode.median());
            System.out.printf("preprocess jpeg 640x480->%dx%d images/s/core=%s ms/image=%.3f%n", w, h, full, 1000 / full.median());
            recordPreprocessing(decode.median(), full.median(), "640x480->" + w + "x" + h);
        }
    }

    /** Keeps the preprocessing figures for the closing table. */
    private void recordPreprocessing(double decodeImagesPerSecond, double preprocessImagesPerSecond, String what) {
        decodeRate = decodeImagesPerSecond;
        preprocessRate = preprocessImagesPerSecond;
        preprocessWhat = what;
    }

    /** One warm-up run, then {@code runs} timed runs of at least {@code minSeconds} each; items per second. */
    Figure measure(Work work) throws Exception {
        long warmEnd = System.nanoTime() + (long) (minSeconds * 0.5e9);
        do {
            work.run();
        } while (System.nanoTime() < warmEnd);
        double[] rates = new double[runs];
        for (int r = 0; r < runs; r++) {
            long start = System.nanoTime();
            long items = 0;
            long elapsed;
            do {
                items += work.run();
                elapsed = System.nanoTime() - start;
            } while (elapsed < minSeconds * 1e9);
            rates[r] = items / (elapsed / 1e9);
        }
        return Figure.of(rates);
    }

    static byte[] benchJpeg() throws IOException {
        try (InputStream in = BenchCommand.class.getResourceAsStream("/bench/coco-640x480.jpg")) {
            if (in == null) throw new IOException("bundled benchmark image /bench/coco-640x480.jpg is missing");
            return in.readAllBytes();
        }
    }
}
