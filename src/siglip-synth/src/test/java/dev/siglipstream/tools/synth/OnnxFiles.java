package dev.siglipstream.tools.synth;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Test helpers: read ONNX files generically (no onnx.proto) and run them in ONNX Runtime. */
final class OnnxFiles {
    private OnnxFiles() {}

    static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    /** The op_type of every node, in file order (ModelProto.graph = 7, GraphProto.node = 1, NodeProto.op_type = 4). */
    static List<String> opTypes(Path file) throws IOException {
        UnknownFieldSet model = UnknownFieldSet.parseFrom(Files.readAllBytes(file));
        UnknownFieldSet graph = UnknownFieldSet.parseFrom(model.getField(7).getLengthDelimitedList().get(0));
        List<String> ops = new ArrayList<>();
        for (ByteString node : graph.getField(1).getLengthDelimitedList()) {
            ops.add(UnknownFieldSet.parseFrom(node).getField(4).getLengthDelimitedList().get(0).toStringUtf8());
        }
        return ops;
    }

    static Map<String, Integer> histogram(List<String> ops) {
        Map<String, Integer> h = new TreeMap<>();
        for (String op : ops) h.merge(op, 1, Integer::sum);
        return h;
    }

    /** The node histogram of {@code model} after ONNX Runtime's graph optimisations at {@code level}. */
    static Map<String, Integer> optimizedHistogram(Path model, OrtSession.SessionOptions.OptLevel level, Path tmp)
            throws Exception {
        Path optimized = tmp.resolve(model.getFileName() + "." + level + ".optimized.onnx");
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(level);
            so.setOptimizedModelFilePath(optimized.toString());
            so.setIntraOpNumThreads(1);
            try (OrtSession s = ENV.createSession(model.toString(), so)) {
                s.getInputNames();
            }
        }
        return histogram(opTypes(optimized));
    }

    static OrtSession open(Path model) throws OrtException {
        return open(model, OrtSession.SessionOptions.OptLevel.ALL_OPT);
    }

    static OrtSession open(Path model, OrtSession.SessionOptions.OptLevel level) throws OrtException {
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(1);
            so.setOptimizationLevel(level);
            return ENV.createSession(model.toString(), so);
        }
    }

    static OnnxTensor floats(float[] data, long... shape) throws OrtException {
        return OnnxTensor.createTensor(ENV, FloatBuffer.wrap(data), shape);
    }

    static OnnxTensor longs(long[] data, long... shape) throws OrtException {
        return OnnxTensor.createTensor(ENV, LongBuffer.wrap(data), shape);
    }

    /** Runs {@code session} and returns the named float output as [rows][cols]. */
    static float[][] run2d(OrtSession session, Map<String, OnnxTensor> inputs, String output) throws OrtException {
        try (OrtSession.Result r = session.run(inputs)) {
            return (float[][]) r.get(output).orElseThrow().getValue();
        }
    }

    static float[] normalize(float[] v) {
        double n = 0;
        for (float x : v) n += (double) x * x;
        n = Math.sqrt(n);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) (v[i] / n);
        return out;
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    static boolean allFinite(float[][] rows) {
        for (float[] r : rows) {
            for (float x : r) {
                if (!Float.isFinite(x)) return false;
            }
        }
        return true;
    }
}
