package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.siglipstream.siglip.hub.HubClient;
import dev.siglipstream.siglip.onnx.ModelVariant;
import dev.siglipstream.siglip.onnx.OnnxOptions;
import dev.siglipstream.siglip.onnx.SiglipModel;
import dev.siglipstream.testutils.Conformance;
import dev.siglipstream.testutils.FakeHubServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --model} as a folder or as a Hub repo id served by a local fake Hub. */
class ModelLocationTest {
    @TempDir Path cache;

    @Test
    void aFolderIsUsedAsItIs() {
        assertThat(ModelLocation.resolve(Conformance.tinyModel().toString(), "main", ModelVariant.FP32))
                .isEqualTo(Conformance.tinyModel());
    }

    @Test
    void aMissingFolderThatIsNoRepoIdIsAClearError() {
        assertThatThrownBy(() -> ModelLocation.resolve(cache.resolve("a/b/c").toString(), "main", ModelVariant.FP32))
                .hasMessageContaining("model folder not found");
    }

    @Test
    void aRepoIdIsDownloadedAndLoads() throws Exception {
        try (FakeHubServer hub = FakeHubServer.start()
                .addRevision(FakeHubServer.REPO_ID, FakeHubServer.COMMIT, FakeHubServer.tinyModelFolder(), "main")) {
            HubClient client = HubClient.builder().endpoint(hub.endpoint()).cacheDir(cache).build();
            Path folder = ModelLocation.resolve(FakeHubServer.REPO_ID, "main", ModelVariant.FP32, client);
            assertThat(folder.toString()).contains("models--Xenova--siglip-tiny").contains(FakeHubServer.COMMIT);
            assertThat(Files.exists(folder.resolve("onnx/vision_model.onnx"))).isTrue();
            try (SiglipModel model = SiglipModel.load(folder, OnnxOptions.defaults())) {
                assertThat(model.textEmbeddings(List.of("a cat"))[0]).hasSize(64);
            }
        }
    }
}
