package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The Pillow baseline of {@code siglip bench}: output parsing, the skip reason, and a real run where Pillow exists. */
class PillowBaselineTest {
    @Test
    void parsesTheScriptsLines() throws IOException {
        PillowBaseline.Result r = PillowBaseline.parse("""
                pillow version=9.4.0 numpy=1.24.2 image=640x480 size=224
                pillow decode ms=1.600 cpu_ms=1.500
                pillow resize ms=2.200 cpu_ms=2.100
                pillow full ms=3.900 cpu_ms=3.700
                """);
        assertThat(r.header()).isEqualTo("pillow version=9.4.0 numpy=1.24.2 image=640x480 size=224");
        assertThat(r.steps()).containsOnlyKeys("decode", "resize", "full");
        assertThat(r.steps().get("full")).isEqualTo(new PillowBaseline.Step(3.7, 3.9));
    }

    @Test
    void unexpectedOutputIsAnErrorThatQuotesIt() {
        assertThatThrownBy(() -> PillowBaseline.parse("Traceback: ImportError: no PIL"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("pillow full ms=")
                .hasMessageContaining("ImportError: no PIL");
    }

    @Test
    void aMissingInterpreterIsASkipReason() {
        String why = PillowBaseline.unavailable(Path.of("/nonexistent/python3"));
        assertThat(why).contains("/nonexistent/python3 not found").contains("python3-pil");
    }

    @Test
    void runsTheBundledScriptWhereDebiansPillowIsInstalled() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        String why = PillowBaseline.unavailable(python);
        assumeTrue(why == null, "Pillow baseline not available: " + why);
        PillowBaseline.Result r = PillowBaseline.run(python, BenchCommand.benchJpeg(), 32, 1, 2);
        assertThat(r.header()).contains("image=640x480").contains("size=32");
        assertThat(r.steps()).containsOnlyKeys("decode", "resize", "normalise", "full", "transformers_steps");
        assertThat(r.steps().get("full").cpuMs()).isPositive();
    }
}
