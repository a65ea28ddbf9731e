package dev.siglipstream.cli;

import dev.siglipstream.siglip.internal.Npy;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Compares two {@code .npy} arrays element by element and prints the largest absolute difference,
 * e.g. GPU against CPU probabilities in {@code deploy/gpu-check.sh}.
 *
 * <pre>{@code
 * ./siglip npy-diff --tolerance 1e-3 cpu/probs_per_image.npy cuda/probs_per_image.npy
 * max_abs_diff=3.576279e-07 count=40
 * }</pre>
 */
@Command(
        name = "npy-diff",
        mixinStandardHelpOptions = true,
        description = "Prints max_abs_diff=<x> count=<n> for two .npy arrays of the same shape "
                + "(float32, int64 or uint8); exits 1 when --tolerance is given and exceeded.")
public final class NpyDiffCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "A.npy", description = "The reference array.")
    Path first;

    @Parameters(index = "1", paramLabel = "B.npy", description = "The array compared with it.")
    Path second;

    @Option(names = "--tolerance", paramLabel = "X",
            description = "Fail (exit 1) when the largest absolute difference is above X.")
    Double tolerance;

    @Override
    public Integer call() throws IOException {
        Npy.Array arrayA = Npy.read(first);
        Npy.Array arrayB = Npy.read(second);
        if (!Arrays.equals(arrayA.shape(), arrayB.shape())) {
            throw new IllegalArgumentException("shapes differ: " + first + " is " + Arrays.toString(arrayA.shape())
                    + ", " + second + " is " + Arrays.toString(arrayB.shape()));
        }
        double[] a = values(arrayA, first);
        double[] b = values(arrayB, second);
        double max = maxAbsDiff(a, b);
        spec.commandLine().getOut().printf(Locale.ROOT, "max_abs_diff=%.6e count=%d%n", max, a.length);
        spec.commandLine().getOut().flush();
        if (tolerance != null && !(max <= tolerance)) {
            spec.commandLine().getErr().printf(Locale.ROOT,
                    "siglip npy-diff: max_abs_diff %.6e is above the tolerance %.6e%n", max, tolerance);
            return 1;
        }
        return 0;
    }

    /** The largest |a[i] - b[i]|; a NaN on one side only counts as an infinite difference. */
    static double maxAbsDiff(double[] a, double[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            boolean nanA = Double.isNaN(a[i]);
            boolean nanB = Double.isNaN(b[i]);
            double d = nanA || nanB ? (nanA == nanB ? 0 : Double.POSITIVE_INFINITY) : Math.abs(a[i] - b[i]);
            if (d > max) max = d;
        }
        return max;
    }

    private static double[] values(Npy.Array array, Path file) {
        int n = Math.toIntExact(array.size());
        double[] out = new double[n];
        switch (array.descr()) {
            case "<f4" -> {
                float[] f = array.floats();
                for (int i = 0; i < n; i++) out[i] = f[i];
            }
            case "<f8" -> array.data().duplicate().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(out);
            case "<i8" -> {
                long[] l = array.longs();
                for (int i = 0; i < n; i++) out[i] = l[i];
            }
            case "|u1" -> {
                byte[] u = array.bytes();
                for (int i = 0; i < n; i++) out[i] = Byte.toUnsignedInt(u[i]);
            }
            default -> throw new IllegalArgumentException(file + ": dtype " + array.descr()
                    + " is not supported, expected <f4, <f8, <i8 or |u1");
        }
        return out;
    }
}
