package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.siglipstream.siglip.internal.Npy;
import dev.siglipstream.testutils.CliRun;
import dev.siglipstream.testutils.Conformance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/** The library's commands end to end through {@link Main}, against the conformance data. */
class LibraryCommandsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path tmp;

    private Path textsJson() throws Exception {
        Path f = tmp.resolve("texts.json");
        JSON.writeValue(f.toFile(), Conformance.texts());
        return f;
    }

    @Test
    void tokenizePrintsTheReferenceIds() throws Exception {
        CliRun run = CliRun.of("tokenize", "--model", Conformance.tinyModel().toString(), "--texts-json", textsJson().toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode ids = JSON.readTree(run.out()).get("input_ids");
        long[] expected = Conformance.golden("text/input_ids.npy").longs();
        assertThat(ids.size()).isEqualTo(21);
        for (int r = 0; r < 21; r++) {
            for (int c = 0; c < 64; c++) assertThat(ids.get(r).get(c).asLong()).isEqualTo(expected[r * 64 + c]);
        }
    }

    @Test
    void preprocessWritesPixelValues() throws Exception {
        Path out = tmp.resolve("pre");
        CliRun run = CliRun.of("preprocess", "--model", Conformance.tinyModel().toString(), "--out", out.toString(),
                Conformance.image("grayscale").toString(), Conformance.image("palette").toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        Npy.Array a = Npy.read(out.resolve("pixel_values.npy"));
        assertThat(a.shape()).containsExactly(2, 3, 64, 64);
        float[] expected = Conformance.golden("images/grayscale/pixel_values.npy").floats();
        float[] actual = a.floats();
        for (int i = 0; i < expected.length; i++) assertThat(actual[i]).isEqualTo(expected[i]);

        CliRun big = CliRun.of("preprocess", "--model", Conformance.tinyModel().toString(), "--size", "224", "--out",
                out.toString(), Conformance.image("palette").toString());
        assertThat(big.exitCode()).isZero();
        assertThat(Npy.read(out.resolve("pixel_values.npy")).shape()).containsExactly(1, 3, 224, 224);
    }

    @Test
    void decodeFastChangesOnlyLargeJpegsAndRefusesOtherModes() throws Exception {
        // 3000x2000 for a 64x64 model: decoded at 1/8 in fast mode; the palette PNG is exact either way
        String large = Conformance.image("large_3000x2000").toString();
        String png = Conformance.image("palette").toString();
        float[][] modes = new float[2][];
        for (int m = 0; m < 2; m++) {
            Path out = tmp.resolve("decode-" + m);
            CliRun run = CliRun.of("preprocess", "--model", Conformance.tinyModel().toString(), "--decode",
                    m == 0 ? "exact" : "fast", "--out", out.toString(), large, png);
            assertThat(run.exitCode()).as(run.err()).isZero();
            modes[m] = Npy.read(out.resolve("pixel_values.npy")).floats();
        }
        int plane = 3 * 64 * 64;
        assertThat(java.util.Arrays.copyOfRange(modes[1], 0, plane)).isNotEqualTo(java.util.Arrays.copyOfRange(modes[0], 0, plane));
        assertThat(java.util.Arrays.copyOfRange(modes[1], plane, 2 * plane))
                .isEqualTo(java.util.Arrays.copyOfRange(modes[0], plane, 2 * plane));
        CliRun bad = CliRun.of("preprocess", "--model", Conformance.tinyModel().toString(), "--decode", "draft",
                "--out", tmp.resolve("bad").toString(), png);
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.err()).contains("decode mode must be exact or fast, got draft");
    }

    @Test
    void embedWritesEmbeddingsLogitsAndProbabilities() throws Exception {
        Path out = tmp.resolve("emb");
        CliRun run = CliRun.of("embed", "--model", Conformance.tinyModel().toString(),
                "--pixel-values-npy", Conformance.root().resolve("golden/model/pixel_values_batch.npy").toString(),
                "--texts-json", textsJson().toString(), "--out", out.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        for (String name : List.of("image_embeds", "text_embeds", "logits_per_image", "logits_per_text")) {
            assertThat(Files.exists(out.resolve(name + ".npy"))).as(name).isTrue();
        }
        float[] probs = Npy.read(out.resolve("probs_per_image.npy")).floats();
        float[] expected = Conformance.golden("model/probs_per_image.npy").floats();
        for (int i = 0; i < expected.length; i++) assertThat(Math.abs(probs[i] - expected[i])).isLessThan(1e-4f);
        float[] logits = Npy.read(out.resolve("logits_per_image.npy")).floats();
        float[] expLogits = Conformance.golden("model/logits_per_image.npy").floats();
        for (int i = 0; i < expLogits.length; i++) assertThat(Math.abs(logits[i] - expLogits[i])).isLessThan(1e-3f);
    }

    @Test
    void embedWithAClassifierWritesLogits() throws Exception {
        Path out = tmp.resolve("cls");
        CliRun run = CliRun.of("embed", "--model", Conformance.tinyClassifier().toString(),
                "--pixel-values-npy", Conformance.root().resolve("golden/model/pixel_values_batch.npy").toString(),
                "--out", out.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        float[] logits = Npy.read(out.resolve("logits.npy")).floats();
        float[] expected = Conformance.golden("classifier/logits.npy").floats();
        for (int i = 0; i < expected.length; i++) assertThat(Math.abs(logits[i] - expected[i])).isLessThan(1e-4f);
    }

    @Test
    void classifyPrintsOneJsonLinePerImageSortedDescending() throws Exception {
        CliRun run = CliRun.of("classify", "--model", Conformance.tinyModel().toString(), "--labels", "cat,dog,car",
                Conformance.image("coco_000000039769").toString(), Conformance.image("palette").toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        String[] lines = run.out().strip().split("\n");
        assertThat(lines).hasSize(2);
        JsonNode first = JSON.readTree(lines[0]);
        assertThat(first.get("image").asText()).endsWith("coco_000000039769.png");
        List<String> labels = new ArrayList<>();
        first.get("scores").forEach(s -> labels.add(s.get("label").asText()));
        // transformers' pipeline without attention mask: dog 0.9797, car 0.9755, cat 0.8017
        assertThat(labels).containsExactly("dog", "car", "cat");
        assertThat(first.get("scores").get(0).get("score").asDouble()).isCloseTo(0.9797340035438538,
                org.assertj.core.api.Assertions.within(1e-4));
    }

    @Test
    void classifyOnAFolderClassifiesEveryImageInItAsIfEachWereNamed() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("photos/nested"));
        Files.copy(Conformance.image("palette"), folder.resolve("palette.png"));
        Files.copy(Conformance.image("coco_000000039769"), tmp.resolve("photos/coco.png"));
        Files.writeString(tmp.resolve("photos/notes.txt"), "not an image");
        String model = Conformance.tinyModel().toString();
        CliRun byFolder = CliRun.of("classify", "--model", model, "--labels", "cat,dog", tmp.resolve("photos").toString());
        CliRun byName = CliRun.of("classify", "--model", model, "--labels", "cat,dog",
                tmp.resolve("photos/coco.png").toString(), folder.resolve("palette.png").toString());
        assertThat(byFolder.exitCode()).as(byFolder.err()).isZero();
        assertThat(byFolder.out().strip().split("\n")).hasSize(2);
        assertThat(byFolder.out()).isEqualTo(byName.out());
        CliRun empty = CliRun.of("classify", "--model", model, "--labels", "cat", Files.createDirectories(tmp.resolve("none")).toString());
        assertThat(empty.exitCode()).isEqualTo(1);
        assertThat(empty.err()).contains("no image files in");
    }

    @Test
    void classifyWithTopKThresholdAndLabelsJson() throws Exception {
        Path labels = tmp.resolve("labels.json");
        Files.writeString(labels, "[\"cat\", \"dog\", \"car\"]");
        CliRun run = CliRun.of("classify", "--model", Conformance.tinyModel().toString(), "--labels-json", labels.toString(),
                "--top-k", "2", "--threshold", "0.98", Conformance.image("coco_000000039769").toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode scores = JSON.readTree(run.out().strip()).get("scores");
        assertThat(scores.size()).isEqualTo(0); // top 2 are 0.9797 and 0.9755, both under 0.98
    }

    @Test
    void classifyWithAClassifierUsesId2label() throws Exception {
        CliRun run = CliRun.of("classify", "--model", Conformance.tinyClassifier().toString(),
                Conformance.image("coco_000000039769").toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode scores = JSON.readTree(run.out().strip()).get("scores");
        assertThat(scores.size()).isEqualTo(5);
        assertThat(scores.get(0).get("label").asText())
                .isEqualTo(Conformance.cases().get("classifier").get("argmax_labels").get(0).asText());
    }

    @Test
    void aBadImageIsReportedOnStderrAndTheOthersStillClassified() throws Exception {
        Path bad = tmp.resolve("bad.jpg");
        Files.write(bad, new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 1, 2, 3});
        CliRun run = CliRun.of("classify", "--model", Conformance.tinyModel().toString(), "--labels", "cat,dog",
                bad.toString(), Conformance.image("palette").toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("bad.jpg");
        assertThat(run.out().strip().split("\n")).hasSize(1);
    }

    @Test
    void errorsGoToStderrWithANonZeroExit() {
        CliRun missing = CliRun.of("classify", "--model", tmp.resolve("nope").toString(), "--labels", "a", "x.jpg");
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.err()).contains("nope");
        assertThat(missing.out()).isEmpty();

        CliRun noLabels = CliRun.of("classify", "--model", Conformance.tinyModel().toString(), "x.jpg");
        assertThat(noLabels.exitCode()).isNotZero();
        assertThat(noLabels.err()).contains("--labels");

        CliRun unknown = CliRun.of("classify", "--bogus");
        assertThat(unknown.exitCode()).isEqualTo(2);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--latency-warmup-seconds=-1 | --latency-warmup-seconds must be in [0, 3600], got -1.0",
        "--latency-load=1.5          | --latency-load must be in (0, 1], got 1.5",
        "--e2e-max-delay=10parsecs   | --e2e-max-delay: expected a duration like 500ms, 10s or 1min, got '10parsecs'",
        "--e2e-buffer-timeout=-5ms   | --e2e-buffer-timeout: expected a duration like 500ms, 10s or 1min, got '-5ms'",
        "--e2e-checkpoint-interval=5ms | --e2e-checkpoint-interval must be 'auto' or at least 10ms (Flink's least), got 5ms",
        "--e2e-inference-nice=-21    | --e2e-inference-nice must be a nice value from -20 to 19, got -21",
        "--events=1                  | --events must be 0 (about 40 s at the best raw rate) or >= 2, got 1",
        "--batch-sizes=8,0           | --batch-sizes must all be >= 1, got 0",
        "--concurrent-batches=0      | --concurrent-batches must all be >= 1, got 0",
        "--runs=0                    | --runs must be >= 1, got 0",
    })
    void benchRefusesABadValueByItsFlagBeforeAnyFigureRuns(String option, String message) {
        CliRun run = CliRun.of("bench", "--model", Conformance.tinyModel().toString(), "--quick", "--skip-pillow", option);
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith(message + System.lineSeparator()).contains("Usage: siglip bench");
        // Nothing was measured: every figure prints a line on stdout as it comes.
        assertThat(run.out()).isEmpty();
    }

    @Test
    void everyCommandHasHelp() {
        for (String cmd : List.of("tokenize", "preprocess", "embed", "classify", "bench")) {
            CliRun run = CliRun.of(cmd, "--help");
            assertThat(run.exitCode()).as(cmd).isZero();
            assertThat(run.out()).as(cmd).contains("Usage: siglip " + cmd);
        }
    }
}
