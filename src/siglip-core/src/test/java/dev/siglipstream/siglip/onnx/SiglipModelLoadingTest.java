package dev.siglipstream.siglip.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.siglipstream.siglip.config.ConfigException;
import dev.siglipstream.testutils.Conformance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model folders that are incomplete or wrong fail with errors naming what was expected. */
class SiglipModelLoadingTest {
    @TempDir Path tmp;

    private Path copyOfTinyModel(String... skip) throws IOException {
        Path src = Conformance.tinyModel();
        Path dst = tmp.resolve("model");
        try (Stream<Path> files = Files.walk(src)) {
            for (Path p : files.toList()) {
                String rel = src.relativize(p).toString().replace('\\', '/');
                if (List.of(skip).contains(rel)) continue;
                Path target = dst.resolve(rel);
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        dst.toFile().setWritable(true);
        return dst;
    }

    @Test
    void missingFolder() {
        assertThatThrownBy(() -> SiglipModel.load(tmp.resolve("nope"), OnnxOptions.defaults()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("model folder not found");
    }

    @Test
    void missingOnnxFilesNameWhatWasExpected() throws IOException {
        Path dir = copyOfTinyModel("onnx/vision_model.onnx", "onnx/model.onnx");
        assertThatThrownBy(() -> SiglipModel.load(dir, OnnxOptions.defaults()))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining("onnx/vision_model.onnx")
                .hasMessageContaining("onnx/model.onnx");
    }

    @Test
    void missingVariantNamesTheVariantFiles() throws IOException {
        Path dir = copyOfTinyModel();
        assertThatThrownBy(() -> SiglipModel.load(dir, OnnxOptions.builder().variant(ModelVariant.FP16).build()))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining("onnx/vision_model_fp16.onnx");
    }

    @Test
    void splitTowersWithoutCombinedGraphNeedScaleAndBias() throws IOException {
        Path dir = copyOfTinyModel("onnx/model.onnx");
        assertThatThrownBy(() -> SiglipModel.load(dir, OnnxOptions.defaults()))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining("logit scale/bias");
        try (SiglipModel m = SiglipModel.load(dir, OnnxOptions.builder().logitScale(100f).logitBias(-10f).build())) {
            assertThat(m.logitScale()).isEqualTo(100f);
            assertThat(m.logitBias()).isEqualTo(-10f);
        }
    }

    @Test
    void combinedOnlyFolderGivesTheSameEmbeddings() throws IOException {
        Path dir = copyOfTinyModel("onnx/vision_model.onnx", "onnx/text_model.onnx");
        try (SiglipModel combined = SiglipModel.load(dir, OnnxOptions.defaults());
                SiglipModel split = SiglipModel.load(Conformance.tinyModel(), OnnxOptions.defaults())) {
            List<String> texts = List.of("a photo of a cat", "DOG");
            assertThat(Conformance.maxAbsDiff(combined.textEmbeddings(texts), split.textEmbeddings(texts))).isLessThan(1e-5);
            assertThat(combined.logitScale()).isEqualTo(split.logitScale());
        }
    }

    @Test
    void graphWithUnexpectedInputNamesIsRejected() throws IOException {
        // the classifier graph has pixel_values -> logits, not pooler_output; the text tower takes input_ids
        Path dir = copyOfTinyModel();
        Files.copy(dir.resolve("onnx/vision_model.onnx"), dir.resolve("onnx/text_model.onnx"), StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> SiglipModel.load(dir, OnnxOptions.defaults()))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining("expected an input named 'input_ids'")
                .hasMessageContaining("pixel_values");
    }

    @Test
    void notAnOnnxFile() throws IOException {
        Path dir = copyOfTinyModel();
        Files.writeString(dir.resolve("onnx/vision_model.onnx"), "not a model");
        assertThatThrownBy(() -> SiglipModel.load(dir, OnnxOptions.defaults()))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining("cannot load ONNX model")
                .hasMessageContaining("vision_model.onnx");
    }

    @Test
    void malformedConfigNamesFileAndField() throws IOException {
        Path dir = copyOfTinyModel();
        Files.writeString(dir.resolve("config.json"), "{\"vision_config\": {\"image_size\": \"big\"}}");
        assertThatThrownBy(() -> SiglipModel.load(dir, OnnxOptions.defaults()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("config.json")
                .hasMessageContaining("vision_config.image_size");
    }
}
