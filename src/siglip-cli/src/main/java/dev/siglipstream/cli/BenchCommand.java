package dev.siglipstream.cli;

import dev.siglipstream.bench.MachineSample;
import dev.siglipstream.siglip.image.ImageDecoder;
import dev.siglipstream.siglip.image.ImageProcessorConfig;
import dev.siglipstream.siglip.image.PillowResize;
import dev.siglipstream.siglip.image.RgbImage;
import dev.siglipstream.siglip.image.SiglipImageProcessor;
import dev.siglipstream.siglip.onnx.SiglipModel;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code siglip bench}: vision-tower images/s per batch size and preprocessing images/s per core,
 * with Pillow + NumPy doing the same preprocessing steps in the same run when Debian's python3-pil
 * and python3-numpy are installed. Each figure is the median of several timed runs.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark the vision tower (images/s at each batch size) and preprocessing of a 640x480 JPEG "
                + "(images/s on one core). Each figure: median of --runs runs (min and max beside it).",
                "Preprocessing is also timed step by step (decode, resize) in CPU time of the one working thread "
                        + "(cpu_ms, steadier than wall time on a shared machine), and compared with Pillow + NumPy "
                        + "doing the same steps (bench/pillow_preprocess.py, run with --pillow-python, one thread): "
                        + "'preprocess java/pillow' below 1 means Java is faster."})
final class BenchCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

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

    @Option(names = "--preprocess-size", defaultValue = "224", paramLabel = "N",
            description = "Preprocess the 640x480 bench JPEG to N x N, whatever the model's size. Default: ${DEFAULT-VALUE}.")
    int preprocessSize;

    @Option(names = "--pillow-python", defaultValue = "/usr/bin/python3", paramLabel = "PATH",
            description = "Python with PIL and numpy for the Pillow baseline (Debian's python3-pil, python3-numpy). "
                    + "Default: ${DEFAULT-VALUE}.")
    Path pillowPython;

    @Option(names = "--skip-pillow", description = "Do not run the Pillow baseline.")
    boolean skipPillow;

    @Option(names = "--plots", paramLabel = "DIR",
            description = "Also draw the figures as PNG charts into DIR: throughput.png (images/s per batch size, and end to end), "
                    + "preprocessing.png (Java beside Pillow), latency.png (end-to-end percentiles).")
    Path plots;

    @Mixin Progress.Options progressOptions;

    /** The phases done so far, as a bar on a terminal. */
    private Progress.Bar phases = Progress.Bar.OFF;
    private final BenchPlots plotData = BenchPlots.collect();

    @Option(names = "--image-sizes", split = ",", defaultValue = "640x480,1920x1080,4000x3000", paramLabel = "WxH|FILE",
            description = {"Real photo sizes: per image, CPU ms of decode, resize, exact and fast (--decode fast) "
                    + "preprocessing to --preprocess-size, beside Pillow's decode, resize, full and draft() path, in one "
                    + "table. WxH: a generated photo-like JPEG (gradients, texture, edges; quality 90, 4:2:0); or an "
                    + "image file. Empty (--image-sizes=) skips the table. Default: ${DEFAULT-VALUE}."})
    List<String> imageSizes;

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

    @Option(names = "--concurrent-batches", split = ",", defaultValue = "1", paramLabel = "N[,N...]",
            description = {"Raw figures with N batches running at once on one session, each on its own thread; the "
                    + "session's intra-op threads are --threads, or cores / N when --threads is 0. With several values "
                    + "each gets its own rows, the ratio divides by the best of all, and the job runs the best one "
                    + "(siglip.batch.concurrency N, siglip.model.intra-op-threads as the raw session). 1,2 on 2 cores "
                    + "compares one batch on two threads with two batches on one thread each. Default: ${DEFAULT-VALUE}."})
    List<Integer> concurrentBatches;

    /** How the raw figures run the model: {@code concurrent} batches at once on a session of {@code threads} intra-op threads. */
    record Layout(int concurrent, int threads) {
        /** E.g. "2 at once x 1 thread". */
        String describe() {
            return concurrent + " at once x " + (threads == 0 ? "auto" : threads) + " thread" + (threads == 1 ? "" : "s");
        }

        /** What a raw line adds for this layout: nothing for one batch at a time, as before layouts existed. */
        String suffix() {
            return concurrent == 1 ? "" : " concurrent=" + concurrent + " threads=" + threads;
        }
    }

    /** Per layout, raw vision images/s (median) per batch size, for the closing table. */
    private final Map<Layout, java.util.SortedMap<Integer, Double>> rawRates = new java.util.LinkedHashMap<>();
    /** Per layout and batch size: process CPU ms per image and the machine's steal % over the timed runs. */
    private final Map<Layout, Map<Integer, RawCost>> rawCosts = new java.util.HashMap<>();
    private RawCost rawAfterCost;

    /** What one raw figure cost: process CPU ms per image (both ONNX Runtime threads), and the steal meanwhile. */
    record RawCost(double cpuMsPerImage, double stealPercent) {
        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, " cpu_ms/image=%.3f steal=%.1f%%", cpuMsPerImage, stealPercent);
        }
    }
    /** Decode-only and full preprocessing images/s on one core, for the closing table. */
    private double decodeRate = Double.NaN;
    private double preprocessRate = Double.NaN;
    private String preprocessWhat = "";

    @Override
    public Integer call() throws Exception {
        check();
        if (endToEndOptions.quick) {
            runs = 1;
            minSeconds = Math.min(minSeconds, 0.2);
        }
        int steps = (skipVision ? 0 : layouts().size() * batchSizes.size()) + 1 + (endToEndOptions.endToEnd ? 1 : 0);
        try (Progress.Bar bar = progressOptions.progress().steps("bench", steps)) {
            phases = bar;
            benchModel();
            return benchEndToEnd();
        } finally {
            phases = Progress.Bar.OFF;
        }
    }

    /** Refuses bad values before any figure runs, naming the flag (exit 2 with the usage). */
    private void check() {
        CommandLine cli = spec.commandLine();
        EndToEndOptions.refuseUnless(cli, runs >= 1, "--runs must be >= 1, got " + runs);
        EndToEndOptions.refuseUnless(cli, minSeconds > 0, "--min-seconds must be > 0, got " + minSeconds);
        EndToEndOptions.refuseUnless(cli, preprocessSize >= 1, "--preprocess-size must be >= 1, got " + preprocessSize);
        for (int b : batchSizes) {
            EndToEndOptions.refuseUnless(cli, b >= 1, "--batch-sizes must all be >= 1, got " + b);
        }
        for (int n : concurrentBatches) {
            EndToEndOptions.refuseUnless(cli, n >= 1, "--concurrent-batches must all be >= 1, got " + n);
        }
        endToEndOptions.check(cli);
        if (plots != null) {
            String why = BenchPlots.unavailable();
            EndToEndOptions.refuseUnless(cli, why == null, why);
        }
    }

    /** Runs the job end to end (unless --no-end-to-end) and prints the closing table. */
    private int benchEndToEnd() throws Exception {
        dev.siglipstream.bench.EndToEndBench.Settings settings = null;
        dev.siglipstream.bench.EndToEndBench.Result e2e = null;
        // Without raw figures (--skip-vision), the first layout asked for.
        Layout layout = java.util.Objects.requireNonNullElseGet(BenchTable.bestLayout(rawRates), () -> layouts().get(0));
        if (endToEndOptions.endToEnd) {
            phases.message("end to end");
            var rates = rawRates.get(layout);
            var best = rates == null ? null : BenchTable.best(rates);
            settings = endToEndOptions.settings(modelOptions.folder().toString(), modelOptions.variant, layout.threads(),
                    layout.concurrent(), modelOptions.spinWait, best == null ? Double.NaN : best.getValue(),
                    best == null ? 32 : best.getKey());
            if (settings.segments() > 1 && best != null) {
                try (SiglipModel probeSession = load(layout)) {
                    int probeBatch = best.getKey();
                    e2e = dev.siglipstream.bench.EndToEndBench.run(settings, System.err,
                            () -> rawBetweenSegments(probeSession, layout, probeBatch));
                }
            } else {
                e2e = dev.siglipstream.bench.EndToEndBench.run(settings, System.err);
            }
        }
        double rawAfter = Double.NaN;
        if (e2e != null && !skipVision && e2e.rawBetween().isEmpty()) {
            rawAfter = rawAgain(layout, settings.maxBatchSize());
        }
        new BenchTable(System.out).print("siglip bench: " + modelOptions.model + " (" + modelOptions.variant + ", intra-op threads "
                        + (modelOptions.threads == 0 ? "auto" : modelOptions.threads)
                        + (modelOptions.spinWait ? " spinning" : " not spinning") + ", cores "
                        + Runtime.getRuntime().availableProcessors() + ")", rawRates, rawCosts, decodeRate, preprocessRate,
                preprocessWhat, settings, e2e, rawAfter, rawAfterCost, dev.siglipstream.bench.EndToEndBench.peakRssBytes());
        if (e2e != null) phases.step("done");
        if (plots != null) {
            Map<String, java.util.SortedMap<Integer, Double>> raw = new java.util.LinkedHashMap<>();
            rawRates.forEach((l, rates) -> raw.put(l.describe(), rates));
            String title = java.nio.file.Path.of(modelOptions.model).getFileName() + " " + modelOptions.variant + ", "
                    + Runtime.getRuntime().availableProcessors() + " cores";
            for (Path f : plotData.write(plots, title, raw, e2e)) System.err.println("siglip bench: wrote " + f);
        }
        return e2e == null || e2e.allAccounted() ? 0 : 1;
    }

    /** The raw figure between two end-to-end segments, once the idle job has gone quiet. */
    private dev.siglipstream.bench.EndToEndBench.RawFigure rawBetweenSegments(SiglipModel session, Layout layout, int batch)
            throws Exception {
        double idleCores = quietJob(endToEndOptions.quick ? 2 : 20);
        Raw raw = raw(session, batch, layout.concurrent());
        System.out.printf(java.util.Locale.ROOT, "vision batch=%d images/s=%s%s%s (between end-to-end segments; the idle "
                + "job used %.3f cores in the half second before)%n", batch, raw.rate(), raw.cost(), layout.suffix(), idleCores);
        return new dev.siglipstream.bench.EndToEndBench.RawFigure(raw.rate().median(), raw.cost().cpuMsPerImage(),
                raw.cost().stealPercent(), idleCores);
    }

    /** An idle job that uses less than this many cores counts as quiet. */
    static final double QUIET_CORES = 0.05;

    /**
     * Waits, at most {@code halfSeconds} half seconds, for the idle job to go quiet: a segment's last
     * events are out before the process is done with them (the JIT, the collector, the broker's log),
     * and a raw figure taken meanwhile would share the cores with that. Returns the cores the process
     * used in the last half second it watched.
     */
    private static double quietJob(int halfSeconds) throws InterruptedException {
        double cores = Double.NaN;
        for (int i = 0; i < halfSeconds; i++) {
            MachineSample from = MachineSample.now();
            Thread.sleep(500);
            MachineSample to = MachineSample.now();
            cores = to.cpuMillisSince(from) / ((to.nanos() - from.nanos()) / 1e6);
            if (cores < QUIET_CORES) break;
        }
        return cores;
    }

    /** The raw layouts asked for, in order: one per --concurrent-batches value. */
    private List<Layout> layouts() {
        int cores = Runtime.getRuntime().availableProcessors();
        List<Layout> out = new java.util.ArrayList<>();
        for (int n : concurrentBatches) {
            Layout l = new Layout(n, modelOptions.threads > 0 || n == 1 ? modelOptions.threads : Math.max(1, cores / n));
            if (!out.contains(l)) out.add(l);
        }
        return out;
    }

    /** A session of the model with {@code layout}'s intra-op threads. */
    private SiglipModel load(Layout layout) {
        return SiglipModel.load(modelOptions.folder(), modelOptions.onnxOptions().toBuilder().intraOpThreads(layout.threads()).build(),
                modelOptions.maxPixels());
    }

    /** Raw images/s at {@code batch} once more, after the end-to-end run, in a fresh session. */
    private double rawAgain(Layout layout, int batch) throws Exception {
        try (SiglipModel model = load(layout)) {
            Raw raw = raw(model, batch, layout.concurrent());
            System.out.printf("vision batch=%d images/s=%s%s%s (after end to end)%n", batch, raw.rate(), raw.cost(), layout.suffix());
            rawAfterCost = raw.cost();
            return raw.rate().median();
        }
    }

    /** A raw figure: images/s, and what the timed runs cost. */
    private record Raw(Figure rate, RawCost cost) {}

    /**
     * The vision tower alone at {@code batch}, on preprocessed pixels already in a direct buffer, with
     * {@code concurrent} threads each running batches on the one session; a run's rate is the sum of theirs.
     */
    private Raw raw(SiglipModel model, int batch, int concurrent) throws Exception {
        int h = model.imageProcessor().height();
        int w = model.imageProcessor().width();
        Work[] work = new Work[concurrent];
        for (int t = 0; t < concurrent; t++) {
            FloatBuffer pixels = SiglipImageProcessor.allocate(batch, h, w);
            for (int i = 0; i < pixels.capacity(); i++) pixels.put(i, (float) Math.sin((i + t) * 0.001));
            work[t] = () -> {
                model.imageEmbeddings(pixels.duplicate(), batch);
                return batch;
            };
        }
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(concurrent);
        try {
            together(threads, work, w1 -> {
                warmUp(w1);
                return null;
            });
            double[] rates = new double[runs];
            double items = 0;
            MachineSample start = MachineSample.now();
            for (int r = 0; r < runs; r++) {
                for (double[] run : together(threads, work, this::timeOnce)) {
                    rates[r] += run[2];
                    items += run[3];
                }
            }
            MachineSample end = MachineSample.now();
            return new Raw(Figure.of(rates), new RawCost(end.cpuMillisSince(start) / items, end.stealPercentSince(start)));
        } finally {
            threads.shutdownNow();
        }
    }

    @FunctionalInterface
    private interface Timing<T> {
        T of(Work work) throws Exception;
    }

    /** {@code timing} of each work item, all at once, one per thread of {@code threads}. */
    private static <T> List<T> together(java.util.concurrent.ExecutorService threads, Work[] work, Timing<T> timing) throws Exception {
        List<java.util.concurrent.Future<T>> running = new java.util.ArrayList<>();
        for (Work w : work) {
            running.add(threads.submit(() -> timing.of(w)));
        }
        List<T> out = new java.util.ArrayList<>();
        for (var f : running) {
            try {
                out.add(f.get());
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof Exception ex ? ex : e;
            }
        }
        return out;
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
                for (Layout layout : layouts()) {
                    try (SiglipModel session = layout.threads() == modelOptions.threads ? null : load(layout)) {
                        benchVision(session == null ? model : session, layout);
                    }
                }
            }
            benchPreprocessing();
        }
    }

    /** Raw figures of every batch size in {@code layout}. */
    private void benchVision(SiglipModel model, Layout layout) throws Exception {
        for (int batch : batchSizes) {
            if (batch < 1) throw new IllegalArgumentException("batch sizes must be >= 1, got " + batch);
            phases.message("vision batch " + batch);
            Raw raw = raw(model, batch, layout.concurrent());
            phases.step("vision batch " + batch);
            System.out.printf("vision batch=%d images/s=%s%s%s%n", batch, raw.rate(), raw.cost(), layout.suffix());
            rawRates.computeIfAbsent(layout, l -> new java.util.TreeMap<>()).put(batch, raw.rate().median());
            rawCosts.computeIfAbsent(layout, l -> new java.util.HashMap<>()).put(batch, raw.cost());
        }
    }

    /** Keeps the preprocessing figures for the closing table. */
    private void recordPreprocessing(double decodeImagesPerSecond, double preprocessImagesPerSecond, String what) {
        decodeRate = decodeImagesPerSecond;
        preprocessRate = preprocessImagesPerSecond;
        preprocessWhat = what;
    }

    /** The bench JPEG's figures, then the real photo sizes table (--image-sizes). */
    private void benchPreprocessing() throws Exception {
        benchPreprocessingOfTheBenchJpeg();
        List<ImageSizesBench.Input> inputs = new java.util.ArrayList<>();
        for (String s : imageSizes) {
            if (!s.isBlank()) inputs.add(ImageSizesBench.Input.parse(s));
        }
        if (inputs.isEmpty()) return;
        String why = skipPillow ? "--skip-pillow" : PillowBaseline.unavailable(pillowPython);
        if (why != null) System.out.println("pillow baseline skipped for the image sizes: " + why);
        new ImageSizesBench(preprocessSize, modelOptions.maxPixels(), runs, minSeconds, why == null ? pillowPython : null)
                .run(inputs, System.out);
    }

    /** Java's decode, resize and full preprocessing of the bench JPEG, then Pillow's, then the ratios. */
    private void benchPreprocessingOfTheBenchJpeg() throws Exception {
        if (preprocessSize < 1) throw new IllegalArgumentException("--preprocess-size must be >= 1, got " + preprocessSize);
        phases.message("preprocessing");
        int n = preprocessSize;
        byte[] jpeg = benchJpeg();
        SiglipImageProcessor processor = new SiglipImageProcessor(
                ImageProcessorConfig.defaults().withSize(n, n), modelOptions.maxPixels());
        ImageDecoder decoder = new ImageDecoder(modelOptions.maxPixels());
        RgbImage decoded = decoder.decode(jpeg);
        String from = decoded.width() + "x" + decoded.height();
        String to = n + "x" + n;
        FloatBuffer one = SiglipImageProcessor.allocate(1, n, n);
        Work[] java = {() -> {
            decoder.decode(jpeg);
            return 1;
        }, () -> {
            PillowResize.bicubic(decoded, n, n);
            return 1;
        }, () -> {
            one.clear();
            processor.preprocess(jpeg, one);
            return 1;
        }};
        String why = skipPillow ? "--skip-pillow" : PillowBaseline.unavailable(pillowPython);
        for (Work w : java) warmUp(w);
        // Java and Pillow take turns, one timed run each per round, so a change in the machine's
        // load hits both sides alike; each figure is the median over the rounds.
        double[][][] javaRuns = new double[java.length][3][runs]; // [step][cpu, wall, rate][round]
        List<PillowBaseline.Result> pillowRuns = new java.util.ArrayList<>();
        int perRun = 0;
        for (int r = 0; r < runs; r++) {
            for (int i = 0; i < java.length; i++) {
                double[] sample = timeOnce(java[i]);
                for (int m = 0; m < 3; m++) javaRuns[i][m][r] = sample[m];
            }
            if (why == null) {
                if (perRun == 0) perRun = Math.max(5, (int) Math.ceil(minSeconds * 1000 / Math.max(1.0, javaRuns[2][1][0])));
                pillowRuns.add(PillowBaseline.run(pillowPython, jpeg, n, 1, perRun));
            }
        }
        StepFigure decode = StepFigure.of(javaRuns[0]);
        StepFigure resize = StepFigure.of(javaRuns[1]);
        StepFigure full = StepFigure.of(javaRuns[2]);
        System.out.printf("decode jpeg %s images/s/core=%s ms/image=%.3f cpu_ms/image=%.3f%n", from, decode.rate(),
                decode.wallMs(), decode.cpuMs());
        System.out.printf("resize bicubic %s->%s ms/image=%.3f cpu_ms/image=%.3f%n", from, to, resize.wallMs(), resize.cpuMs());
        System.out.printf("preprocess jpeg %s->%s images/s/core=%s ms/image=%.3f cpu_ms/image=%.3f%n", from, to,
                full.rate(), full.wallMs(), full.cpuMs());
        recordPreprocessing(decode.rate().median(), full.rate().median(), from + "->" + to);
        if (why != null) {
            System.out.println("pillow baseline skipped: " + why);
            return;
        }
        System.out.println(pillowRuns.get(0).header() + " rounds=" + runs + " images/run=" + perRun);
        java.util.Map<String, PillowBaseline.Step> pillow = new java.util.LinkedHashMap<>();
        for (String step : pillowRuns.get(0).steps().keySet()) {
            double[] cpu = pillowRuns.stream().mapToDouble(p -> p.steps().get(step).cpuMs()).toArray();
            double[] wall = pillowRuns.stream().mapToDouble(p -> p.steps().get(step).wallMs()).toArray();
            PillowBaseline.Step f = new PillowBaseline.Step(median(cpu), median(wall));
            pillow.put(step, f);
            System.out.printf("pillow %s ms/image=%.3f cpu_ms/image=%.3f%n", step, f.wallMs(), f.cpuMs());
        }
        ratio("decode", decode, pillow.get("decode"));
        ratio("resize", resize, pillow.get("resize"));
        ratio("preprocess", full, pillow.get("full"));
        phases.step("preprocessing");
        PillowBaseline.Step hf = pillow.get("transformers_steps");
        if (hf != null) {
            System.out.printf("preprocess transformers-steps/java: %.2f (CPU time per image, one thread; wall time %.2f; "
                    + "transformers' steps in Pillow + NumPy, without its Python-level checks)%n",
                    hf.cpuMs() / full.cpuMs(), hf.wallMs() / full.wallMs());
        }
    }

    private void ratio(String step, StepFigure java, PillowBaseline.Step pillow) {
        if (pillow == null) return;
        plotData.preprocessing(step, java.cpuMs(), pillow.cpuMs());
        System.out.printf("%s java/pillow: %.2f (CPU time per image, one thread; wall time %.2f)%n", step,
                java.cpuMs() / pillow.cpuMs(), java.wallMs() / pillow.wallMs());
    }

    /** Median per-item milliseconds of CPU time (this thread) and wall time, and the items/s figure. */
    record StepFigure(double cpuMs, double wallMs, Figure rate) {
        /** From {@code [cpu ms, wall ms, items/s][run]}. */
        static StepFigure of(double[][] runs) {
            return new StepFigure(median(runs[0]), median(runs[1]), Figure.of(runs[2]));
        }
    }

    private void warmUp(Work work) throws Exception {
        long warmEnd = System.nanoTime() + (long) (minSeconds * 0.5e9);
        do {
            work.run();
        } while (System.nanoTime() < warmEnd);
    }

    /**
     * One timed run of at least {@code minSeconds}: per-item CPU ms of this thread (which waiting for
     * a core does not inflate), per-item wall ms, and items/s.
     */
    private double[] timeOnce(Work work) throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long cpu0 = mx.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        long items = 0;
        long elapsed;
        do {
            items += work.run();
            elapsed = System.nanoTime() - start;
        } while (elapsed < minSeconds * 1e9);
        return new double[] {(mx.getCurrentThreadCpuTime() - cpu0) / 1e6 / items, elapsed / 1e6 / items,
            items / (elapsed / 1e9), items};
    }

    private static double median(double[] v) {
        return Figure.of(v).median();
    }


    static byte[] benchJpeg() throws IOException {
        try (InputStream in = BenchCommand.class.getResourceAsStream("/bench/coco-640x480.jpg")) {
            if (in == null) throw new IOException("bundled benchmark image /bench/coco-640x480.jpg is missing");
            return in.readAllBytes();
        }
    }
}
