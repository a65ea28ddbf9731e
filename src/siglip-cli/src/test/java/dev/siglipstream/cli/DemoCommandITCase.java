package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.siglipstream.testutils.CliRun;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code siglip demo --offline} end to end: broker, local Flink, bundled images, tiny model; then its report. */
class DemoCommandITCase {
    private static final Path BASE = Path.of(System.getProperty("basedir", "."));

    @Test
    void theOfflineDemoScoresEveryBundledImageAndItsReportRenders(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        // Main.execute adds run/demo only where Flink is on the class path; here it always is.
        CommandLine cli = new CommandLine(new Main()).addSubcommand("demo", new DemoCommand());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        Path events = dir.resolve("events.jsonl");
        int code = cli.execute("demo", "--offline", "--out-events", events.toString());
        assertThat(code).as("exit code; stderr:%n%s", err).isZero();
        assertThat(err.toString()).contains("its scores are meaningless");
        assertThat(out.toString())
                .contains("scored      coco_000000039769.png#animals [animals v1 -> demo-animals]")
                .contains("dead-letter not-avro")
                .contains("summary: 14 events, 13 scored ({animals=6, inline=1, scenes=6}), 1 dead letters {MALFORMED_EVENT=1}");

        List<String> lines = Files.readAllLines(events);
        assertThat(lines).as("--out-events: every scored event and dead letter").hasSize(14);
        ObjectMapper json = new ObjectMapper();
        List<Double> cats = new ArrayList<>();
        for (String l : lines) {
            JsonNode n = json.readTree(l);
            if (!"animals".equals(n.path("labelSetId").asText())) continue;
            for (JsonNode s : n.get("scores")) if (s.get("label").asText().equals("a cat")) cats.add(ReportPage.rounded(s.get("score").asDouble()));
        }

        Path html = dir.resolve("demo-report.html");
        CliRun report = CliRun.of("report", events.toString(), "--images", BASE.resolve("src/main/resources/demo/images").toString(),
                "--label-sets", BASE.resolve("src/main/resources/demo/label-sets.yaml").toString(), "--title", "siglip demo (tiny test model)",
                "--out", html.toString());
        assertThat(report.exitCode()).as(report.err()).isZero();
        assertThat(report.err()).contains("13 scored events, 6 images, 1 other lines or records skipped");
        // The animals set keeps its top 3, so "a cat" has a score on only some of its events.
        ReportPage.check(html, new ReportPage.Expected(13, 13, "animals", "a cat", cats, 0.1), BASE.resolve("target/report-demo.png"));
    }
}
