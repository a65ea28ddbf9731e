package dev.siglipstream.jmh;

import dev.siglipstream.siglip.scoring.Scoring;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Label-set scoring for one batch: 32 images × 2,000 labels × 768 dims, the blocked matrix product
 * against the plain triple loop it replaced (kept here as the baseline).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class ScoringBenchmark {
    private float[][] images;
    private float[][] labels;

    @Setup
    public void setUp() {
        Random rnd = new Random(1);
        images = Scoring.normalize(gaussian(rnd, 32, 768));
        labels = Scoring.normalize(gaussian(rnd, 2000, 768));
    }

    private static float[][] gaussian(Random rnd, int rows, int dim) {
        float[][] m = new float[rows][dim];
        for (float[] r : m) for (int k = 0; k < dim; k++) r[k] = (float) rnd.nextGaussian();
        return m;
    }

    @Benchmark
    public float[][] probabilities() {
        return Scoring.probabilities(images, labels, 117.33f, -12.93f);
    }

    @Benchmark
    public float[][] logits() {
        return Scoring.logits(images, labels, 117.33f, -12.93f);
    }

    /** The previous implementation: one dot product at a time, one dependent chain of adds. */
    @Benchmark
    public float[][] logitsPlainLoop() {
        float[][] out = new float[images.length][labels.length];
        for (int i = 0; i < images.length; i++) {
            float[] img = images[i];
            for (int t = 0; t < labels.length; t++) {
                float[] txt = labels[t];
                float dot = 0f;
                for (int k = 0; k < img.length; k++) dot += img[k] * txt[k];
                out[i][t] = dot * 117.33f + -12.93f;
            }
        }
        return out;
    }
}
