package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.siglipstream.testutils.CliRun;
import dev.siglipstream.testutils.TestData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code siglip report} on {@code classify}'s output over a folder of images, rendered in headless Chromium. */
class ReportCommandTest {
    private static final Path BASE = Path.of(System.getProperty("basedir", "."));
    private static final Path IMAGES = TestData.conformance("images");
    private static final Path MODEL = TestData.conformance("models/siglip-tiny");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aReportOfClassifyOutputShowsEveryImageAndItsFiltersWorkInABrowser(@TempDir Path dir) throws Exception {
        List<String> args = new ArrayList<>(List.of("classify", "--model", MODEL.toString(), "--labels", "a cat,a dog,a car,a tree,a building"));
        try (Stream<Path> files = Files.list(IMAGES)) {
            files.sorted().forEach(f -> args.add(f.toString()));
        }
        CliRun classify = CliRun.of(args.toArray(String[]::new));
        assertThat(classify.exitCode()).as(classify.err()).isZero();
        Path scores = dir.resolve("scores.jsonl");
        Files.writeString(scores, classify.out());
        List<JsonNode> lines = new ArrayList<>();
        for (String l : classify.out().split("\n")) if (!l.isBlank()) lines.add(JSON.readTree(l));
        assertThat(lines).hasSize(11);

        Path html = dir.resolve("report.html");
        CliRun report = CliRun.of("report", scores.toString(), "--threshold", "0.3", "--out", html.toString());
        assertThat(report.exitCode()).as(report.err()).isZero();
        assertThat(report.out().trim()).isEqualTo(html.toString());
        assertThat(report.err()).contains("11 scored events, 11 images");

        String page = Files.readString(html, StandardCharsets.UTF_8);
        assertThat(page).as("self-contained: nothing loaded from elsewhere")
                .doesNotContain("<link", "src=\"http", "src='http", "url(http", "@import", "cdn");
        Matcher thumbs = Pattern.compile("data:image/jpeg;base64,").matcher(page);
        int thumbnails = 0;
        while (thumbs.find()) thumbnails++;
        assertThat(thumbnails).as("one embedded JPEG per image").isEqualTo(11);

        List<Double> cat = new ArrayList<>();
        for (JsonNode l : lines) {
            for (JsonNode s : l.get("scores")) if (s.get("label").asText().equals("a cat")) cat.add(ReportPage.rounded(s.get("score").asDouble()));
        }
        ReportPage.check(html, new ReportPage.Expected(11, 11, ReportEvents.CLASSIFY_SET, "a cat", cat, 0.3),
                BASE.resolve("target/report-classify.png"));
    }

    @Test
    void withoutEventsItSaysWhatItExpects(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("dead.jsonl"), "{\"eventId\":\"x\",\"reason\":\"MALFORMED_EVENT\",\"stage\":\"deserialize\"}\n");
        CliRun run = CliRun.of("report", empty.toString(), "--out", dir.resolve("r.html").toString());
        assertThat(run.exitCode()).isNotZero();
        assertThat(run.err()).contains("no scored events found (1 other records or lines skipped)");
        CliRun neither = CliRun.of("report", "--out", dir.resolve("r.html").toString());
        assertThat(neither.exitCode()).isEqualTo(2);
        assertThat(neither.err()).contains("give either files of scored events or --bootstrap B --topic T");
    }
}
