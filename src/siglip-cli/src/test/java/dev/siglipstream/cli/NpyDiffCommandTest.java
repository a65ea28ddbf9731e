package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.siglip.internal.Npy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class NpyDiffCommandTest {
    @TempDir Path dir;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = new CommandLine(new NpyDiffCommand());
        cli.setExecutionExceptionHandler(new ErrorHandler());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void printsTheLargestAbsoluteDifferenceAndTheCount() throws Exception {
        Path a = dir.resolve("cpu.npy");
        Path b = dir.resolve("cuda.npy");
        Npy.writeFloats(a, new float[] {0.10f, 0.50f, 0.90f, 0.0f, 1.0f, 0.25f}, 2, 3);
        Npy.writeFloats(b, new float[] {0.10f, 0.5f, 0.875f, 0.0f, 1.0f, 0.25f}, 2, 3);

        assertThat(run(a.toString(), b.toString())).isZero();
        // 0.9f is 0.89999997615814209 exactly, so the difference is 0.02499997615814209
        assertThat(out.toString()).isEqualTo("max_abs_diff=2.499998e-02 count=6" + System.lineSeparator());
    }

    @Test
    void toleranceDecidesTheExitCode() throws Exception {
        Path a = dir.resolve("a.npy");
        Path b = dir.resolve("b.npy");
        Npy.writeFloats(a, new float[] {0.25f, 0.5f}, 2);
        Npy.writeFloats(b, new float[] {0.25f, 0.5009765625f}, 2);

        assertThat(run("--tolerance", "1e-3", a.toString(), b.toString())).isZero();
        assertThat(run("--tolerance", "1e-4", a.toString(), b.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("max_abs_diff 9.765625e-04 is above the tolerance 1.000000e-04");
    }

    @Test
    void aNanOnOneSideIsAnInfiniteDifference() throws Exception {
        Path a = dir.resolve("a.npy");
        Path b = dir.resolve("b.npy");
        Npy.writeFloats(a, new float[] {Float.NaN, 1f}, 2);
        Npy.writeFloats(b, new float[] {0.5f, 1f}, 2);

        assertThat(run("--tolerance", "1", a.toString(), b.toString())).isEqualTo(1);
        assertThat(out.toString()).startsWith("max_abs_diff=Infinity count=2");
        assertThat(NpyDiffCommand.maxAbsDiff(new double[] {Double.NaN}, new double[] {Double.NaN})).isZero();
    }

    @Test
    void differentShapesAreAnErrorNamingBoth() throws Exception {
        Path a = dir.resolve("a.npy");
        Path b = dir.resolve("b.npy");
        Npy.writeFloats(a, new float[] {1, 2, 3, 4}, 2, 2);
        Npy.writeFloats(b, new float[] {1, 2, 3, 4}, 4);

        assertThat(run(a.toString(), b.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("shapes differ: " + a + " is [2, 2], " + b + " is [4]");
    }

    @Test
    void integerArraysCompareToo() throws Exception {
        Path a = dir.resolve("ids_a.npy");
        Path b = dir.resolve("ids_b.npy");
        Npy.writeLongs(a, new long[] {1, 262, 266, 1}, 1, 4);
        Npy.writeLongs(b, new long[] {1, 262, 260, 1}, 1, 4);

        assertThat(run(a.toString(), b.toString())).isZero();
        assertThat(out.toString()).startsWith("max_abs_diff=6.000000e+00 count=4");
    }

    @Test
    void isASubcommandOfMain() {
        CommandLine main = new CommandLine(new Main());
        assertThat(main.getSubcommands()).containsKey("npy-diff");
    }
}
