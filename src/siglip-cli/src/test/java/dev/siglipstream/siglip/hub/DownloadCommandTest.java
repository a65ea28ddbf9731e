package dev.siglipstream.siglip.hub;

import static dev.siglipstream.testutils.FakeHubServer.COMMIT;
import static dev.siglipstream.testutils.FakeHubServer.REPO_ID;
import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.cli.Main;
import dev.siglipstream.testutils.FakeHubServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code siglip download} through the real command line: stdout carries only the folder. */
class DownloadCommandTest {
    @TempDir Path cache;
    private FakeHubServer server;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void start() throws IOException {
        server = FakeHubServer.start().addRevision(REPO_ID, COMMIT, FakeHubServer.tinyModelFolder(), "main");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private int run(String... extra) {
        String[] args = Stream.concat(Stream.of("download", "--endpoint", server.endpoint(), "--cache-dir", cache.toString()),
                Stream.of(extra)).toArray(String[]::new);
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            return Main.execute(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private static long fileCount(Path folder) throws IOException {
        try (Stream<Path> walk = Files.walk(folder)) {
            return walk.filter(p -> !Files.isDirectory(p)).count();
        }
    }

    @Test
    void printsOnlyTheSnapshotFolder() throws IOException {
        int code = run(REPO_ID);

        Path expected = cache.resolve("models--Xenova--siglip-tiny/snapshots/" + COMMIT).toAbsolutePath();
        assertThat(code).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(expected + System.lineSeparator());
        assertThat(expected.resolve("onnx/model.onnx")).exists();
        assertThat(expected.resolve("onnx/vision_model.onnx")).exists();
        assertThat(expected.resolve("spiece.model")).exists();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("downloading Xenova/siglip-tiny/onnx/model.onnx");
    }

    @Test
    void allDownloadsEveryFile() throws IOException {
        assertThat(run(REPO_ID, "--all", "--revision", COMMIT)).isZero();

        Path folder = Path.of(out.toString(StandardCharsets.UTF_8).strip());
        assertThat(fileCount(folder)).isEqualTo(fileCount(FakeHubServer.tinyModelFolder()));
    }

    @Test
    void missingVariantFailsOnStderr() {
        int code = run(REPO_ID, "--variant", "quantized");

        assertThat(code).isEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("siglip download: error:")
                .contains("onnx/vision_model_quantized.onnx")
                .contains("it has [onnx/model.onnx, onnx/text_model.onnx, onnx/vision_model.onnx]");
    }

    @Test
    void unknownRepoFails() {
        assertThat(run("Xenova/nope")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("repository 'Xenova/nope' not found");
    }
}
