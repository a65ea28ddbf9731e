package dev.siglipstream.siglip.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.siglipstream.testutils.Conformance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SiglipConfigTest {
    @TempDir Path tmp;

    private Path write(String json) throws IOException {
        Path p = tmp.resolve("config.json");
        Files.writeString(p, json);
        return p;
    }

    @Test
    void tinyModelKeepsItsValuesAndTakesDefaultsForTheRest() {
        SiglipConfig c = SiglipConfig.load(Conformance.tinyModel().resolve("config.json"));
        assertThat(c.visionConfig().imageSize()).isEqualTo(64);
        assertThat(c.visionConfig().patchSize()).isEqualTo(16); // omitted: transformers' default
        assertThat(c.visionConfig().numPatches()).isEqualTo(16);
        assertThat(c.textConfig().vocabSize()).isEqualTo(1000);
        assertThat(c.textConfig().maxPositionEmbeddings()).isEqualTo(64); // omitted: default
        assertThat(c.textConfig().padTokenId()).isEqualTo(2);
        assertThat(c.textConfig().hiddenAct()).isEqualTo("gelu_pytorch_tanh");
        assertThat(c.isImageClassifier()).isFalse();
    }

    @Test
    void emptyConfigIsTheBaseArchitecture() throws IOException {
        SiglipConfig c = SiglipConfig.load(write("{}"));
        assertThat(c.textConfig()).isEqualTo(SiglipTextConfig.defaults());
        assertThat(c.visionConfig()).isEqualTo(SiglipVisionConfig.defaults());
        assertThat(c.visionConfig().hiddenSize()).isEqualTo(768);
        assertThat(c.textConfig().vocabSize()).isEqualTo(32000);
    }

    @Test
    void classifierLabelsInIdOrder() {
        SiglipConfig c = SiglipConfig.load(Conformance.tinyClassifier().resolve("config.json"));
        assertThat(c.isImageClassifier()).isTrue();
        assertThat(c.labels()).containsExactly("cat", "dog", "car", "tree", "building");
        assertThat(c.classifierUsesSigmoid()).isFalse();
    }

    @Test
    void multiLabelProblemTypeUsesSigmoid() throws IOException {
        SiglipConfig c = SiglipConfig.load(write(
                "{\"architectures\": [\"SiglipForImageClassification\"], \"problem_type\": \"multi_label_classification\","
                        + " \"id2label\": {\"1\": \"b\", \"0\": \"a\"}}"));
        assertThat(c.labels()).containsExactly("a", "b");
        assertThat(c.classifierUsesSigmoid()).isTrue();
    }

    @Test
    void wrongTypeNamesFileAndField() throws IOException {
        Path p = write("{\"text_config\": {\"max_position_embeddings\": \"sixty-four\"}}");
        assertThatThrownBy(() -> SiglipConfig.load(p))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(p.toString())
                .hasMessageContaining("text_config.max_position_embeddings")
                .hasMessageContaining("an integer");
    }

    @Test
    void invalidJsonNamesTheFile() throws IOException {
        Path p = write("{\"vision_config\": {");
        assertThatThrownBy(() -> SiglipConfig.load(p)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("not valid JSON");
    }

    @Test
    void missingFile() {
        assertThatThrownBy(() -> SiglipConfig.load(tmp.resolve("config.json")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("no config.json").hasMessageContaining("siglip download");
    }

    @Test
    void nonPositiveSizesAndBadPatchGrid() throws IOException {
        assertThatThrownBy(() -> SiglipConfig.load(write("{\"vision_config\": {\"hidden_size\": 0}}")))
                .hasMessageContaining("vision_config.hidden_size").hasMessageContaining(">= 1");
        assertThatThrownBy(() -> SiglipConfig.load(write("{\"vision_config\": {\"image_size\": 100, \"patch_size\": 16}}")))
                .hasMessageContaining("multiple");
        assertThatThrownBy(() -> SiglipConfig.load(write("{\"vision_config\": 5}")))
                .hasMessageContaining("'vision_config' must be an object");
        assertThatThrownBy(() -> SiglipConfig.load(write("{\"id2label\": {\"x\": \"cat\"}}")))
                .hasMessageContaining("id2label");
    }
}
