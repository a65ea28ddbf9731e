package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code siglip demo --offline} end to end: broker, local Flink, bundled images, tiny model. */
class DemoCommandITCase {
    @Test
    void theOfflineDemoScoresEveryBundledImageAndExitsCleanly() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        // Main.execute adds run/demo only where Flink is on the class path; here it always is.
        CommandLine cli = new CommandLine(new Main()).addSubcommand("demo", new DemoCommand());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("demo", "--offline");
        assertThat(code).as("exit code; stderr:%n%s", err).isZero();
        assertThat(err.toString()).contains("its scores are meaningless");
        assertThat(out.toString())
                .contains("scored      coco_000000039769.png#animals [animals v1 -> demo-animals]")
                .contains("dead-letter not-avro")
                .contains("summary: 14 events, 13 scored ({animals=6, inline=1, scenes=6}), 1 dead letters {MALFORMED_EVENT=1}");
    }
}
