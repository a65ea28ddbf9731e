package dev.siglipstream.siglip.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Environment variables → settings, with huggingface_hub's names, precedence and defaults. */
class HubEnvironmentTest {
    @TempDir Path home;

    @Test
    void defaultsFollowHuggingfaceHub() {
        HubEnvironment e = HubEnvironment.from(Map.of(), home);

        assertThat(e.endpoint()).isEqualTo("https://huggingface.co");
        assertThat(e.hfHome()).isEqualTo(home.resolve(".cache/huggingface"));
        assertThat(e.cacheDir()).isEqualTo(home.resolve(".cache/huggingface/hub"));
        assertThat(e.token()).isNull();
        assertThat(e.offline()).isFalse();
        assertThat(e.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(e.readTimeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void hfHomeMovesCacheAndTokenFile() throws IOException {
        Path hfHome = home.resolve("hf");
        Files.createDirectories(hfHome);
        Files.writeString(hfHome.resolve("token"), "  hf_from_file\n");

        HubEnvironment e = HubEnvironment.from(Map.of("HF_HOME", hfHome.toString()), home);

        assertThat(e.cacheDir()).isEqualTo(hfHome.resolve("hub"));
        assertThat(e.token()).isEqualTo("hf_from_file");
    }

    @Test
    void xdgCacheHomeMovesTheDefaultHome() {
        HubEnvironment e = HubEnvironment.from(Map.of("XDG_CACHE_HOME", "/xdg"), home);

        assertThat(e.cacheDir()).isEqualTo(Path.of("/xdg/huggingface/hub"));
    }

    @Test
    void hubCacheWinsOverLegacyNameWhichWinsOverHfHome() {
        assertThat(HubEnvironment.from(Map.of("HF_HOME", "/a", "HUGGINGFACE_HUB_CACHE", "/legacy"), home).cacheDir())
                .isEqualTo(Path.of("/legacy"));
        assertThat(HubEnvironment.from(Map.of("HF_HOME", "/a", "HUGGINGFACE_HUB_CACHE", "/legacy", "HF_HUB_CACHE", "/new"), home)
                        .cacheDir())
                .isEqualTo(Path.of("/new"));
        assertThat(HubEnvironment.from(Map.of("HF_HUB_CACHE", "~/models"), home).cacheDir()).isEqualTo(home.resolve("models"));
    }

    @Test
    void tokenVariableWinsOverTokenFile() throws IOException {
        Path hfHome = home.resolve("hf");
        Files.createDirectories(hfHome);
        Files.writeString(hfHome.resolve("token"), "hf_from_file");

        assertThat(HubEnvironment.from(Map.of("HF_HOME", hfHome.toString(), "HF_TOKEN", "hf_env"), home).token()).isEqualTo("hf_env");
        assertThat(HubEnvironment.from(Map.of("HF_HOME", hfHome.toString(), "HF_TOKEN", " "), home).token()).isEqualTo("hf_from_file");
    }

    @Test
    void endpointOfflineAndTimeouts() {
        HubEnvironment e = HubEnvironment.from(Map.of(
                "HF_ENDPOINT", "https://hf-mirror.example/",
                "HF_HUB_OFFLINE", "1",
                "HF_HUB_ETAG_TIMEOUT", "2.5",
                "HF_HUB_DOWNLOAD_TIMEOUT", "30"), home);

        assertThat(e.endpoint()).isEqualTo("https://hf-mirror.example");
        assertThat(e.offline()).isTrue();
        assertThat(e.connectTimeout()).isEqualTo(Duration.ofMillis(2500));
        assertThat(e.readTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(HubEnvironment.isTrue("yes")).isTrue();
        assertThat(HubEnvironment.isTrue("TRUE")).isTrue();
        assertThat(HubEnvironment.isTrue("0")).isFalse();
        assertThat(HubEnvironment.isTrue(null)).isFalse();
        assertThatThrownBy(() -> HubEnvironment.from(Map.of("HF_HUB_DOWNLOAD_TIMEOUT", "soon"), home))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("HF_HUB_DOWNLOAD_TIMEOUT").hasMessageContaining("'soon'");
    }

    @Test
    void clientBuiltFromEnvironmentUsesIt() {
        HubClient hub = HubClient.builderFromEnvironment(
                Map.of("HF_HOME", "/srv/hf", "HF_ENDPOINT", "http://127.0.0.1:9", "HF_HUB_OFFLINE", "on"), home).build();

        assertThat(hub.cacheDir()).isEqualTo(Path.of("/srv/hf/hub"));
        assertThat(hub.endpoint()).isEqualTo("http://127.0.0.1:9");
        assertThat(hub.offline()).isTrue();
    }
}
