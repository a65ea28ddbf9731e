package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.testutils.CliRun;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code siglip synth-model}: writes the folder and prints it; bad presets fail naming the choices. */
class SynthModelCommandTest {

    @Test
    void writesTheTinyPresetAndPrintsTheFolder(@TempDir Path dir) {
        Path out = dir.resolve("synth");
        CliRun run = CliRun.of("synth-model", "--preset", "tiny", "--out", out.toString(), "--seed", "3");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out().trim()).isEqualTo(out.toAbsolutePath().toString());
        assertThat(out.resolve("onnx/vision_model_quantized.onnx")).isRegularFile();
        assertThat(out.resolve("README.md")).content().contains("--seed 3", "random");
    }

    @Test
    void unknownPresetFailsNamingTheChoices(@TempDir Path dir) {
        CliRun run = CliRun.of("synth-model", "--preset", "large", "--out", dir.toString());
        assertThat(run.exitCode()).isNotZero();
        assertThat(run.err()).contains("unknown preset 'large'", "base-patch16-224", "tiny");
        assertThat(dir).isEmptyDirectory();
    }
}
