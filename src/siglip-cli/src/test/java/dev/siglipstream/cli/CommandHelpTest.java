package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.testutils.CliRun;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every command's --help renders cleanly: picocli formats descriptions, so a bare '%' breaks one. */
class CommandHelpTest {
    @ParameterizedTest
    @ValueSource(strings = {"tokenize", "preprocess", "embed", "classify", "bench", "download", "produce", "consume",
        "npy-diff", "label-set", "synth-model", "run", "tag", "demo", "broker"})
    void helpHasNoFormattingWarnings(String command) {
        CliRun run = CliRun.of(command, "--help");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).startsWith("Usage: siglip " + command);
        assertThat(run.err()).as("stderr of %s --help", command).doesNotContain("WARN");
        for (String placeholder : List.of("%n", "${")) {
            assertThat(run.out()).as("unexpanded %s", placeholder).doesNotContain(placeholder);
        }
    }
}
