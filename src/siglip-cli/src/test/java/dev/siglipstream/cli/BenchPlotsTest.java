package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.bench.EndToEndBench;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench --plots}: the charts are real PNGs of the set size, and only those with figures are drawn. */
class BenchPlotsTest {
    @Test
    void drawsThroughputPreprocessingAndLatencyCharts(@TempDir Path dir) throws Exception {
        BenchPlots plots = BenchPlots.collect();
        plots.preprocessing("decode", 2.10, 1.85);
        plots.preprocessing("resize", 1.63, 3.04);
        plots.preprocessing("preprocess", 4.02, 5.44);
        Map<String, java.util.SortedMap<Integer, Double>> raw = Map.of("1 at once x 2 threads", new TreeMap<>(Map.of(1, 2.77, 8, 2.57, 32, 3.44)));
        EndToEndBench.Latency scored = new EndToEndBench.Latency(516, 551, 586, 640, 30);
        EndToEndBench.Result e2e = new EndToEndBench.Result(192, 192, 0, 103, 0, 52.8, 3.38, 3.6, 6.7, 4000, 588, 1.7, 30, 30,
                490, 1, scored, new EndToEndBench.Latency(4000, 7000, 7500, 7600, 30), new EndToEndBench.Latency(500, 540, 570, 600, 30),
                new EndToEndBench.Latency(0.1, 1, 2, 3, 100), 1.6, Map.of(), new double[0], List.of());

        List<Path> written = plots.write(dir, "siglip-base fp32, 2 cores", raw, e2e);

        assertThat(written).containsExactly(dir.resolve("throughput.png"), dir.resolve("preprocessing.png"), dir.resolve("latency.png"));
        for (Path png : written) {
            BufferedImage img = ImageIO.read(png.toFile());
            assertThat(img).as(png.toString()).isNotNull();
            assertThat(img.getWidth()).isEqualTo(BenchPlots.WIDTH);
            assertThat(img.getHeight()).isEqualTo(BenchPlots.HEIGHT);
        }
        assertThat(BenchPlots.throughput("t", raw, e2e).getSeriesMap()).containsKeys("raw model, 1 at once x 2 threads",
                "job end to end (Kafka → Flink → Kafka)");
    }

    @Test
    void withoutFiguresNothingIsDrawn(@TempDir Path dir) throws Exception {
        assertThat(BenchPlots.collect().write(dir.resolve("p"), "t", Map.of(), null)).isEmpty();
        assertThat(BenchPlots.unavailable()).as("XChart is on the command line's class path").isNull();
    }
}
