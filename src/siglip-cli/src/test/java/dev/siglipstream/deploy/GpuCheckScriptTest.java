package dev.siglipstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.cli.Main;
import dev.siglipstream.siglip.internal.Npy;
import dev.siglipstream.testutils.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Runs deploy/gpu-check.sh without a GPU: a stand-in {@code java} answers {@code bench} and
 * {@code embed} the way the CLI's contract says and hands {@code npy-diff} to the real command, so
 * the script's flow, its output and its exit status are checked here.
 */
class GpuCheckScriptTest {
    private static final Path SCRIPT = TestData.path("deploy/gpu-check.sh");
    private static final Path IMAGES = TestData.conformance("images");

    @TempDir Path dir;
    private Path calls;
    private Path fixtures;
    private final String realJava = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    @BeforeEach
    void fakeJava() throws IOException {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/bash")) || Files.isExecutable(Path.of("/usr/bin/bash")),
                "needs bash to run deploy/gpu-check.sh");
        calls = dir.resolve("calls.txt");
        fixtures = Files.createDirectories(dir.resolve("fixtures"));
        String fake = """
                #!/usr/bin/env bash
                # stand-in for `java ... -cp CP dev.siglipstream.cli.Main <command> ...`
                while [[ $1 != dev.siglipstream.cli.Main ]]; do shift; done; shift
                echo "$*" >> "$CALLS"
                cmd=$1; shift
                arg() { local want=$1; shift; while (($#)); do [[ $1 == "$want" ]] && { echo "$2"; return; }; shift; done; }
                case $cmd in
                  bench)
                    IFS=, read -ra sizes <<<"$(arg --batch-sizes "$@")"
                    echo "loading model (log line the script must drop)"
                    for b in "${sizes[@]}"; do echo "vision batch=$b images/s=$((b * 100)).5 (min 1.0 .. max 2.0)"; done ;;
                  embed)
                    out=$(arg --out "$@"); mkdir -p "$out"
                    cp "$FIXTURES/$(arg --provider "$@")-$(arg --variant "$@").npy" "$out/probs_per_image.npy" ;;
                  npy-diff)
                    exec "$REAL_JAVA" -cp "$REAL_CP" dev.siglipstream.cli.Main npy-diff "$@" ;;
                  *) echo "unexpected command $cmd" >&2; exit 3 ;;
                esac
                """;
        Path java = dir.resolve("java");
        Files.writeString(java, fake);
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void printsThroughputPerBatchSizeAndTheGpuCpuDifference() throws Exception {
        Npy.writeFloats(fixtures.resolve("cpu-fp32.npy"), new float[] {0.125f, 0.75f, 0.5f, 0.015625f}, 2, 2);
        // differences exact in binary: 2^-11 (fp32) and 2^-7 (fp16)
        Npy.writeFloats(fixtures.resolve("cuda-fp32.npy"), new float[] {0.125f, 0.75048828125f, 0.5f, 0.015625f}, 2, 2);
        Npy.writeFloats(fixtures.resolve("cuda-fp16.npy"), new float[] {0.1328125f, 0.75f, 0.5f, 0.015625f}, 2, 2);

        Result r = run("1,8,32");

        assertThat(r.exit).as(r.out).isZero();
        assertThat(r.out).contains(
                "cuda fp32  vision batch=1 images/s=100.5 (min 1.0 .. max 2.0)",
                "cuda fp32  vision batch=32 images/s=3200.5",
                "cuda fp16  vision batch=8 images/s=800.5",
                "cuda fp32 vs cpu fp32  max_abs_diff=4.882813e-04 count=4  tolerance=1e-3  OK",
                "cuda fp16 vs cpu fp32  max_abs_diff=7.812500e-03 count=4  tolerance=2e-2  OK");
        assertThat(r.out).doesNotContain("loading model");

        List<String> invoked = Files.readAllLines(calls);
        assertThat(invoked).contains(
                "bench --model my/model --provider cuda --variant fp32 --batch-sizes 1,8,32",
                "bench --model my/model --provider cuda --variant fp16 --batch-sizes 1,8,32");
        assertThat(invoked).filteredOn(c -> c.startsWith("embed ")).hasSize(3).allSatisfy(c -> assertThat(c)
                .contains("--images " + IMAGES.resolve("coco_000000039769.png"))
                .contains("--images " + IMAGES.resolve("progressive.jpg"))
                .containsPattern("--texts-json \\S+/texts\\.json --out \\S+"));
        assertThat(invoked).anySatisfy(c -> assertThat(c).startsWith("embed --model my/model --provider cpu --variant fp32"));

        // every option the script passes is one the real subcommand declares
        Map<String, CommandLine> commands = new CommandLine(new Main()).getSubcommands();
        for (String call : invoked) {
            String[] words = call.split(" ");
            assertThat(commands).as(call).containsKey(words[0]);
            Set<String> options = commands.get(words[0]).getCommandSpec().optionsMap().keySet();
            for (String w : words) {
                if (w.startsWith("--")) assertThat(options).as(words[0] + " option " + w).contains(w);
            }
        }
    }

    @Test
    void aDifferenceAboveTheToleranceFailsTheCheck() throws Exception {
        Npy.writeFloats(fixtures.resolve("cpu-fp32.npy"), new float[] {0.25f, 0.75f}, 1, 2);
        Npy.writeFloats(fixtures.resolve("cuda-fp32.npy"), new float[] {0.25f, 0.8125f}, 1, 2);

        Result r = runWith(Map.of("VARIANTS", "fp32"), "4");

        assertThat(r.exit).isEqualTo(1);
        assertThat(r.out).contains("cuda fp32  vision batch=4 images/s=400.5")
                .contains("cuda fp32 vs cpu fp32  max_abs_diff=6.250000e-02 count=2  tolerance=1e-3  FAILED");
    }

    private record Result(int exit, String out) {}

    private Result run(String batchSizes) throws Exception {
        return runWith(Map.of(), batchSizes);
    }

    private Result runWith(Map<String, String> env, String batchSizes) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString(), "my/model", IMAGES.toString())
                .redirectErrorStream(true);
        pb.environment().putAll(Map.of(
                "JAVA", dir.resolve("java").toString(),
                "SIGLIP_CP", "unused",
                "BATCH_SIZES", batchSizes,
                "CALLS", calls.toString(),
                "FIXTURES", fixtures.toString(),
                "REAL_JAVA", realJava,
                "REAL_CP", System.getProperty("java.class.path")));
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }
}
