package dev.siglipstream.tools.synth;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.siglipstream.siglip.internal.Npy;
import dev.siglipstream.siglip.onnx.OnnxOptions;
import dev.siglipstream.siglip.onnx.SiglipModel;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Measures a synthetic model folder (normally the base preset): ONNX Runtime CPU throughput of the vision
 * tower fp32 vs int8 (and fp16 at EXTENDED optimisation) at batch 1 and 8, and the fp32-vs-int8 difference
 * in probabilities on the conformance images at 224 px. Not a test: run it by hand, once, on a quiet machine.
 *
 * <pre>{@code
 * java -cp target/test-classes:target/classes:$(cat target/classpath.txt) \
 *     dev.siglipstream.tools.synth.SynthBench /tmp/synth-base src/test/resources/conformance 2 3
 * }</pre>
 */
final class SynthBench {
    private static final List<String> PROMPTS = List.of("This is a photo of a cat.", "This is a photo of a dog.",
            "This is a photo of a car.", "This is a photo of a tree.", "This is a photo of a building.");

    public static void main(String[] args) throws Exception {
        Path folder = Path.of(args[0]);
        Path conformance = Path.of(args[1]);
        int threads = Integer.parseInt(args[2]);
        int runs = Integer.parseInt(args[3]);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        System.out.printf("folder %s, %d intra-op threads, median of %d runs, ONNX Runtime %s, %d cores%n", folder,
                threads, runs, env.getVersion(), Runtime.getRuntime().availableProcessors());

        // the 11 conformance images, resized to 224 by transformers' SiglipImageProcessor()
        List<Path> ids;
        try (Stream<Path> s = Files.list(conformance.resolve("golden/images"))) {
            ids = s.filter(p -> Files.exists(p.resolve("pixel_values_224.npy"))).sorted().toList();
        }
        int n = ids.size();
        int size = 224 * 224 * 3;
        float[] pixels = new float[n * size];
        for (int i = 0; i < n; i++) {
            System.arraycopy(Npy.read(ids.get(i).resolve("pixel_values_224.npy")).floats(), 0, pixels, i * size, size);
        }

        Path onnx = folder.resolve("onnx");
        try (OrtSession fp32 = open(env, onnx.resolve("vision_model.onnx"), threads, OrtSession.SessionOptions.OptLevel.ALL_OPT);
                OrtSession int8 = open(env, onnx.resolve("vision_model_quantized.onnx"), threads,
                        OrtSession.SessionOptions.OptLevel.ALL_OPT)) {
            for (int batch : new int[] {1, 8}) {
                double[] rates = interleaved(env, List.of(fp32, int8), pixels, batch, runs);
                System.out.printf("vision batch %d: fp32 %.2f images/s, int8 %.2f images/s (int8/fp32 %.2fx)%n", batch,
                        rates[0], rates[1], rates[1] / rates[0]);
            }
            float[][] reference = pooled(env, fp32, pixels, n);
            float[][] quantized = pooled(env, int8, pixels, n);
            compare(folder, reference, quantized, ids);
        }
        try {
            open(env, onnx.resolve("vision_model_fp16.onnx"), threads, OrtSession.SessionOptions.OptLevel.ALL_OPT).close();
            System.out.println("vision fp16 at ALL_OPT: session created");
        } catch (OrtException e) {
            System.out.println("vision fp16 at ALL_OPT: session creation fails: " + e.getMessage());
        }
        try (OrtSession fp16 = open(env, onnx.resolve("vision_model_fp16.onnx"), threads,
                OrtSession.SessionOptions.OptLevel.EXTENDED_OPT)) {
            System.out.printf("vision fp16 (EXTENDED_OPT) batch 1: %.2f images/s%n", throughput(env, fp16, pixels, 1, runs));
        }
    }

    private static void compare(Path folder, float[][] reference, float[][] quantized, List<Path> ids) throws Exception {
        OnnxOptions options = OnnxOptions.builder().intraOpThreads(2).build();
        try (SiglipModel model = SiglipModel.load(folder, options)) {
            System.out.printf("library read back from onnx/model.onnx: exp(logit_scale) %.5f, logit_bias %.5f%n",
                    model.logitScale(), model.logitBias());
            float[][] text = model.textEmbeddings(PROMPTS);
            double maxText = -1;
            for (int i = 0; i < text.length; i++) {
                for (int j = i + 1; j < text.length; j++) maxText = Math.max(maxText, OnnxFiles.cosine(text[i], text[j]));
            }
            double maxImage = -1;
            for (int i = 0; i < reference.length; i++) {
                for (int j = i + 1; j < reference.length; j++) {
                    maxImage = Math.max(maxImage, OnnxFiles.cosine(reference[i], reference[j]));
                }
            }
            System.out.printf("diversity: max cosine between the 5 prompts' text embeddings %.4f, between the %d images' "
                    + "embeddings %.4f%n", maxText, reference.length, maxImage);
            double maxProb = 0, maxLogit = 0, minCos = 1, minProb = 1, maxP = 0;
            for (int i = 0; i < reference.length; i++) {
                float[] a = OnnxFiles.normalize(reference[i]);
                float[] b = OnnxFiles.normalize(quantized[i]);
                minCos = Math.min(minCos, OnnxFiles.cosine(a, b));
                for (float[] t : text) {
                    double la = model.logitScale() * dot(a, t) + model.logitBias();
                    double lb = model.logitScale() * dot(b, t) + model.logitBias();
                    double pa = 1 / (1 + Math.exp(-la));
                    double pb = 1 / (1 + Math.exp(-lb));
                    minProb = Math.min(minProb, pa);
                    maxP = Math.max(maxP, pa);
                    maxLogit = Math.max(maxLogit, Math.abs(la - lb));
                    maxProb = Math.max(maxProb, Math.abs(pa - pb));
                }
            }
            System.out.printf("int8 vs fp32 on %d images x %d prompts: max |dprob| %.3e, max |dlogit| %.4f, min image-embedding "
                    + "cosine %.5f (fp32 probabilities range [%.3e, %.3e])%n", ids.size(), PROMPTS.size(), maxProb,
                    maxLogit, minCos, minProb, maxP);
        }
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    private static OrtSession open(OrtEnvironment env, Path file, int threads, OrtSession.SessionOptions.OptLevel level)
            throws OrtException {
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(threads);
            so.setOptimizationLevel(level);
            return env.createSession(file.toString(), so);
        }
    }

    /** Images per second: median over {@code runs} timed calls, after one warm-up call. */
    private static double throughput(OrtEnvironment env, OrtSession s, float[] pixels, int batch, int runs)
            throws OrtException {
        int size = 224 * 224 * 3;
        float[] in = new float[batch * size];
        for (int b = 0; b < batch; b++) System.arraycopy(pixels, (b % (pixels.length / size)) * size, in, b * size, size);
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(in), new long[] {batch, 3, 224, 224})) {
            s.run(Map.of("pixel_values", t)).close();
            List<Double> rates = new ArrayList<>();
            for (int r = 0; r < runs; r++) {
                long start = System.nanoTime();
                s.run(Map.of("pixel_values", t)).close();
                rates.add(batch / ((System.nanoTime() - start) / 1e9));
            }
            Double[] sorted = rates.toArray(new Double[0]);
            Arrays.sort(sorted);
            System.out.printf("  (%s batch %d runs: %s images/s)%n", "rates", batch, rates.stream()
                    .map(x -> String.format("%.2f", x)).toList());
            return sorted[sorted.length / 2];
        }
    }

    /**
     * Medians of images/s per session, the sessions' timed calls alternating (A B A B ...) so that load
     * from other processes on the machine falls on both alike.
     */
    private static double[] interleaved(OrtEnvironment env, List<OrtSession> sessions, float[] pixels, int batch, int runs)
            throws OrtException {
        int size = 224 * 224 * 3;
        float[] in = new float[batch * size];
        for (int b = 0; b < batch; b++) System.arraycopy(pixels, (b % (pixels.length / size)) * size, in, b * size, size);
        double[][] rates = new double[sessions.size()][runs];
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(in), new long[] {batch, 3, 224, 224})) {
            for (OrtSession s : sessions) s.run(Map.of("pixel_values", t)).close();
            for (int r = 0; r < runs; r++) {
                for (int k = 0; k < sessions.size(); k++) {
                    long start = System.nanoTime();
                    sessions.get(k).run(Map.of("pixel_values", t)).close();
                    rates[k][r] = batch / ((System.nanoTime() - start) / 1e9);
                }
            }
        }
        double[] medians = new double[sessions.size()];
        for (int k = 0; k < sessions.size(); k++) {
            System.out.printf("  (batch %d, session %d runs: %s images/s)%n", batch, k,
                    Arrays.stream(rates[k]).mapToObj(x -> String.format("%.2f", x)).toList());
            double[] sorted = rates[k].clone();
            Arrays.sort(sorted);
            medians[k] = sorted[sorted.length / 2];
        }
        return medians;
    }

    private static float[][] pooled(OrtEnvironment env, OrtSession s, float[] pixels, int n) throws OrtException {
        float[][] out = new float[n][];
        int size = 224 * 224 * 3;
        for (int i = 0; i < n; i++) {
            try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels, i * size, size).slice(),
                    new long[] {1, 3, 224, 224});
                    OrtSession.Result r = s.run(Map.of("pixel_values", t))) {
                out[i] = ((float[][]) r.get("pooler_output").orElseThrow().getValue())[0];
            }
        }
        return out;
    }
}
