package dev.siglipstream.cli;

import static dev.siglipstream.testutils.FakeHubServer.COMMIT;
import static dev.siglipstream.testutils.FakeHubServer.REPO_ID;
import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.testutils.CliRun;
import dev.siglipstream.testutils.FakeHubServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Progress bars: drawn on stderr when forced on, absent when the output is not a terminal (as under
 * the test runner, whose stdout is a pipe) or when switched off; stdout keeps only the result.
 */
class ProgressTest {
    @Test
    void downloadDrawsOneBarPerFileWithBytesAndRateWhenForcedOn(@TempDir Path cache) throws Exception {
        // model.onnx pauses for 1.2 s half way, so its bar has a frame in between and a measured rate (the library
        // shows "?" for a transfer under a second).
        try (FakeHubServer hub = FakeHubServer.start().addRevision(REPO_ID, COMMIT, FakeHubServer.tinyModelFolder(), "main")
                .stallOnce("onnx/model.onnx", 600_000, 1200)) {
            CliRun run = CliRun.of("download", REPO_ID, "--endpoint", hub.endpoint(), "--cache-dir", cache.toString(), "--progress", "always");
            assertThat(run.exitCode()).as(run.err()).isZero();
            Path folder = Path.of(run.out().strip());
            assertThat(folder.resolve("onnx/model.onnx")).exists();
            long kib = Files.size(folder.resolve("onnx/model.onnx")) / 1024;
            // The final frame of the model.onnx bar: its name, 100 %, KiB done of the total, a rate; and a frame half way.
            assertThat(run.err())
                    .containsPattern("\ronnx/model\\.onnx 100% \\[=+\\] " + kib + "/" + kib + " KiB \\([0-9:]+ / [0-9:]+\\) [0-9]+\\.[0-9] KiB/s")
                    .containsPattern("\ronnx/model\\.onnx +[1-9][0-9]?% \\[=* *\\] +[1-9][0-9]*/" + kib + " KiB")
                    .contains("\ronnx/vision_model.onnx 100%")
                    .contains("\rspiece.model 100%");
        }
    }

    @Test
    void noBarsWhenTheOutputIsPipedOrProgressIsOff(@TempDir Path cache) throws Exception {
        try (FakeHubServer hub = FakeHubServer.start().addRevision(REPO_ID, COMMIT, FakeHubServer.tinyModelFolder(), "main")) {
            CliRun auto = CliRun.of("download", REPO_ID, "--endpoint", hub.endpoint(), "--cache-dir", cache.resolve("a").toString());
            assertThat(auto.exitCode()).as(auto.err()).isZero();
            assertThat(System.console()).as("the test runner's output is a pipe").isNull();
            assertThat(auto.err()).contains("downloading Xenova/siglip-tiny/onnx/model.onnx").doesNotContain("\r", "100%", "MiB/s");

            CliRun never = CliRun.of("download", REPO_ID, "--endpoint", hub.endpoint(), "--cache-dir", cache.resolve("n").toString(),
                    "--progress", "never");
            assertThat(never.exitCode()).isZero();
            assertThat(never.err()).doesNotContain("\r", "100%");
        }
    }

    @Test
    void synthModelCountsItsFilesWhenForcedOn(@TempDir Path dir) {
        CliRun run = CliRun.of("synth-model", "--preset", "tiny", "--out", dir.resolve("m").toString(), "--progress", "always");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).contains("\rsynth-model tiny 100% [").contains(" 8/8 ");
        CliRun quiet = CliRun.of("synth-model", "--preset", "tiny", "--out", dir.resolve("q").toString());
        assertThat(quiet.err()).doesNotContain("\r");
    }

    @Test
    void aBadModeIsRefusedByName() {
        CliRun run = CliRun.of("download", REPO_ID, "--progress", "sometimes");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("expected auto, always or never, got 'sometimes'");
    }
}
