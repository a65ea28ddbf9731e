package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.testutils.CliRun;
import dev.siglipstream.testutils.FakeHubServer;
import dev.siglipstream.testutils.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Errors a new user meets first say what is wrong and what to do next. */
class GuidanceMessagesTest {
    private static final Path IMAGE = TestData.conformance("images/palette.png");

    @Test
    void aFolderWithoutConfigJsonSaysWhatAModelFolderHoldsAndHowToGetOne(@TempDir Path dir) throws Exception {
        Path notAModel = Files.createDirectories(dir.resolve("photos"));
        CliRun run = CliRun.of("classify", "--model", notAModel.toString(), "--labels", "a cat", IMAGE.toString());
        assertThat(run.exitCode()).isNotZero();
        assertThat(run.err())
                .contains(notAModel.toAbsolutePath() + " is not a SigLIP model folder: it has no config.json")
                .contains("onnx/vision_model.onnx and onnx/text_model.onnx, or onnx/model.onnx")
                .contains("siglip download Xenova/siglip-base-patch16-224")
                .contains("siglip synth-model --preset tiny --out DIR");
    }

    @Test
    void aHubRepoWithOnlySafetensorsNamesTheReadyExportsAndHowToExportOne(@TempDir Path dir) throws Exception {
        Path repo = Files.createDirectories(dir.resolve("google-siglip"));
        Files.writeString(repo.resolve("config.json"), "{\"model_type\": \"siglip\"}");
        Files.write(repo.resolve("model.safetensors"), new byte[] {1, 2, 3});
        Files.copy(FakeHubServer.tinyModelFolder().resolve("spiece.model"), repo.resolve("spiece.model"));
        try (FakeHubServer hub = FakeHubServer.start().addRevision("google/siglip-base-patch16-224", FakeHubServer.COMMIT, repo, "main")) {
            CliRun run = CliRun.of("download", "google/siglip-base-patch16-224", "--endpoint", hub.endpoint(),
                    "--cache-dir", dir.resolve("cache").toString());
            assertThat(run.exitCode()).isNotZero();
            assertThat(run.out()).isEmpty();
            assertThat(run.err())
                    .contains("repository 'google/siglip-base-patch16-224' at revision 'main' has no ONNX export "
                            + "(only model.safetensors: weights for PyTorch/transformers, which ONNX Runtime cannot run)")
                    .contains("try Xenova/siglip-base-patch16-224")
                    .contains("optimum-cli export onnx --model google/siglip-base-patch16-224 --task zero-shot-image-classification siglip-base-patch16-224-onnx/");
            assertThat(hub.downloads()).as("nothing downloaded for a repository that cannot be run").isEmpty();
        }
    }
}
