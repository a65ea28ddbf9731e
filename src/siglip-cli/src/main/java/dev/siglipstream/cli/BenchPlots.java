package dev.siglipstream.cli;

import dev.siglipstream.bench.EndToEndBench;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The bench's figures as PNG charts (XChart): {@code throughput.png} (vision images/s per batch size,
 * and the job end to end), {@code preprocessing.png} (CPU ms per image, Java beside Pillow) and
 * {@code latency.png} (end-to-end latency percentiles). Only the charts with figures are written.
 */
final class BenchPlots {
    static final int WIDTH = 720;
    static final int HEIGHT = 420;

    /** Java's and Pillow's CPU milliseconds per image of one preprocessing step. */
    record StepCost(double javaMs, double pillowMs) {}

    private final Map<String, StepCost> preprocessing = new LinkedHashMap<>();

    private BenchPlots() {}

    static BenchPlots collect() {
        return new BenchPlots();
    }

    /** XChart is a command-line dependency only (not in the job JAR); says why --plots cannot work without it. */
    static String unavailable() {
        try {
            Class.forName("org.knowm.xchart.XYChart", false, BenchPlots.class.getClassLoader());
            return null;
        } catch (ClassNotFoundException | LinkageError e) {
            return "--plots needs XChart (org.knowm.xchart:xchart) on the class path; run the bench with ./siglip, not the job JAR";
        }
    }

    void preprocessing(String step, double javaCpuMs, double pillowCpuMs) {
        preprocessing.put(step, new StepCost(javaCpuMs, pillowCpuMs));
    }

    /**
     * Writes the charts into {@code dir} and returns the files written.
     *
     * @param title a line naming the model and machine, shown on each chart
     * @param raw per layout (e.g. "1 at once x 2 threads"), vision images/s per batch size
     * @param e2e the end-to-end figures, or null without them
     */
    List<Path> write(Path dir, String title, Map<String, SortedMap<Integer, Double>> raw, EndToEndBench.Result e2e) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        if (!raw.isEmpty()) written.add(save(throughput(title, raw, e2e), dir.resolve("throughput.png")));
        if (!preprocessing.isEmpty()) written.add(save(preprocessingChart(title), dir.resolve("preprocessing.png")));
        if (e2e != null && e2e.scoredLatency().count() > 0) written.add(save(latency(title, e2e), dir.resolve("latency.png")));
        return written;
    }

    static XYChart throughput(String title, Map<String, SortedMap<Integer, Double>> raw, EndToEndBench.Result e2e) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Vision tower throughput — " + title)
                .xAxisTitle("batch size").yAxisTitle("images/s").build();
        style(chart.getStyler());
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisMin(0.0);
        int minBatch = Integer.MAX_VALUE;
        int maxBatch = 1;
        for (Map.Entry<String, SortedMap<Integer, Double>> e : raw.entrySet()) {
            List<Integer> x = new ArrayList<>(e.getValue().keySet());
            List<Double> y = new ArrayList<>(e.getValue().values());
            chart.addSeries("raw model, " + e.getKey(), x, y).setMarker(SeriesMarkers.CIRCLE);
            minBatch = Math.min(minBatch, x.get(0));
            maxBatch = Math.max(maxBatch, x.get(x.size() - 1));
        }
        if (e2e != null && e2e.eventsPerSecond() > 0) {
            chart.addSeries("job end to end (Kafka → Flink → Kafka)", List.of(minBatch, Math.max(maxBatch, minBatch + 1)),
                    List.of(e2e.eventsPerSecond(), e2e.eventsPerSecond())).setMarker(SeriesMarkers.NONE);
        }
        return chart;
    }

    CategoryChart preprocessingChart(String title) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title("Image preprocessing, one core — " + title)
                .xAxisTitle("step (640×480 JPEG)").yAxisTitle("CPU ms per image (lower is better)").build();
        style(chart.getStyler());
        List<String> steps = new ArrayList<>(preprocessing.keySet());
        chart.addSeries("Java (this project)", steps, steps.stream().map(s -> preprocessing.get(s).javaMs()).toList());
        chart.addSeries("Pillow + NumPy", steps, steps.stream().map(s -> preprocessing.get(s).pillowMs()).toList());
        return chart;
    }

    static CategoryChart latency(String title, EndToEndBench.Result e2e) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title(String.format(java.util.Locale.ROOT, "End-to-end latency at %.1f events/s — %s", e2e.offeredRate(), title))
                .xAxisTitle("percentile").yAxisTitle("ms").build();
        style(chart.getStyler());
        List<String> p = List.of("p50", "p95", "p99", "max");
        add(chart, "inside the scoring operator", p, e2e.scoringLatency());
        add(chart, "send → scored", p, e2e.scoredLatency());
        add(chart, "send → visible to read_committed", p, e2e.visibleLatency());
        return chart;
    }

    private static void add(CategoryChart chart, String name, List<String> p, EndToEndBench.Latency l) {
        if (l == null || l.count() == 0) return;
        chart.addSeries(name, p, List.of(l.p50(), l.p95(), l.p99(), l.max()));
    }

    private static void style(Styler s) {
        s.setLegendPosition(Styler.LegendPosition.InsideNW);
        s.setChartBackgroundColor(java.awt.Color.WHITE);
        s.setChartTitleFont(s.getChartTitleFont().deriveFont(13f));
        s.setAntiAlias(true);
    }

    private static Path save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path file) throws IOException {
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }
}
