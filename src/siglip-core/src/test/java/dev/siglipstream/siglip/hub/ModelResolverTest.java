package dev.siglipstream.siglip.hub;

import static dev.siglipstream.testutils.FakeHubServer.COMMIT;
import static dev.siglipstream.testutils.FakeHubServer.REPO_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.siglipstream.testutils.FakeHubServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Folder-or-repo-id resolution and the download filter for SigLIP model folders. */
class ModelResolverTest {
    @TempDir Path cache;
    private FakeHubServer server;
    private ModelResolver resolver;

    @BeforeEach
    void start() throws IOException {
        server = FakeHubServer.start().addRevision(REPO_ID, COMMIT, FakeHubServer.tinyModelFolder(), "main");
        resolver = new ModelResolver(HubClient.builder().endpoint(server.endpoint()).cacheDir(cache).build());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void recognisesRepoIds() {
        assertThat(ModelResolver.looksLikeRepoId("Xenova/siglip-base-patch16-224")).isTrue();
        assertThat(ModelResolver.looksLikeRepoId("google/siglip-so400m-patch14-384")).isTrue();
        assertThat(ModelResolver.looksLikeRepoId("siglip")).isFalse();
        assertThat(ModelResolver.looksLikeRepoId("a/b/c")).isFalse();
        assertThat(ModelResolver.looksLikeRepoId("a--b/c")).isFalse();
        assertThat(ModelResolver.looksLikeRepoId(cache.toString())).isFalse();
        // A relative folder that exists wins over the repo-id reading (surefire runs in the project root).
        assertThat(Path.of("src/main")).isDirectory();
        assertThat(ModelResolver.looksLikeRepoId("src/main")).isFalse();
    }

    @Test
    void existingFolderIsReturnedWithoutRequests() {
        Path folder = FakeHubServer.tinyModelFolder();

        assertThat(resolver.resolve(folder.toString(), "main", List.of("onnx/vision_model.onnx"))).isEqualTo(folder);
        assertThat(server.requestCount()).isZero();
    }

    @Test
    void repoIdDownloadsSupportFilesAndExactlyTheRequestedOnnxFiles() throws IOException {
        Path folder = resolver.resolve(REPO_ID, "main",
                List.of("onnx/vision_model.onnx", "onnx/text_model.onnx", "onnx/model_fp16.onnx"));

        assertThat(folder).isEqualTo(cache.resolve("models--Xenova--siglip-tiny/snapshots/" + COMMIT));
        try (Stream<Path> walk = Files.walk(folder)) {
            assertThat(walk.filter(p -> !Files.isDirectory(p)).map(p -> folder.relativize(p).toString().replace('\\', '/')))
                    .containsExactlyInAnyOrder("config.json", "preprocessor_config.json", "tokenizer_config.json",
                            "special_tokens_map.json", "spiece.model", "onnx/vision_model.onnx", "onnx/text_model.onnx");
        }
        assertThat(Files.readAllBytes(folder.resolve("onnx/text_model.onnx")))
                .isEqualTo(Files.readAllBytes(FakeHubServer.tinyModelFolder().resolve("onnx/text_model.onnx")));
    }

    @Test
    void noRequestedOnnxFileFailsBeforeDownloadingAndListsWhatExists() {
        assertThatThrownBy(() -> resolver.resolve(REPO_ID, "main", List.of("onnx/vision_model_fp16.onnx")))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.reason()).isEqualTo(HubException.Reason.FILE_NOT_FOUND))
                .hasMessageContaining("has none of the ONNX files [onnx/vision_model_fp16.onnx]")
                .hasMessageContaining("it has [onnx/model.onnx, onnx/text_model.onnx, onnx/vision_model.onnx]");
        assertThat(server.downloads()).isEmpty();
    }

    @Test
    void offlineResolutionUsesTheCachedSnapshot() {
        Path online = resolver.resolve(REPO_ID, "main", List.of("onnx/vision_model.onnx"));
        server.clearRequests();
        ModelResolver offline = new ModelResolver(HubClient.builder().endpoint(server.endpoint()).cacheDir(cache).offline(true).build());

        assertThat(offline.resolve(REPO_ID, "main", List.of("onnx/vision_model.onnx"))).isEqualTo(online);
        assertThatThrownBy(() -> offline.resolve(REPO_ID, "main", List.of("onnx/model.onnx")))
                .hasMessageContaining("in the offline cache")
                .hasMessageContaining("it has [onnx/vision_model.onnx]");
        assertThat(server.requestCount()).isZero();
    }

    @Test
    void neitherFolderNorRepoId() {
        assertThatThrownBy(() -> resolver.resolve("no/such/folder", null, List.of("onnx/model.onnx")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'no/such/folder' is neither an existing folder nor a Hub repo id");
    }
}
