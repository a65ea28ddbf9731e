package dev.siglipstream.siglip.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxGraphTest {
    private static final Path VISION = OnnxTestFiles.tinyVisionModel();

    @Test
    void opensTheTinyVisionTowerOnCpu() {
        try (OnnxGraph graph = OnnxGraph.open(VISION, OnnxOptions.defaults())) {
            assertThat(graph.provider()).isEqualTo(ExecutionProvider.CPU);
            assertThat(graph.requestedProvider()).isEqualTo(ExecutionProvider.CPU);
            assertThat(graph.fellBackToCpu()).isFalse();
            assertThat(graph.inputNames()).containsExactly("pixel_values");
            assertThat(graph.outputNames()).containsExactly("last_hidden_state", "pooler_output");
            assertThat(pooled(graph)).hasSize(64);
        }
    }

    @Test
    void cudaWithoutFallbackFailsNamingTheMissingProvider() {
        OnnxTestFiles.assumeCpuOnlyBuild();
        OnnxOptions cuda = OnnxOptions.builder().provider(ExecutionProvider.CUDA).build();
        assertThatThrownBy(() -> OnnxGraph.open(VISION, cuda))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining("execution provider 'cuda' was asked for")
                .hasMessageContaining("onnxruntime_gpu");
    }

    @Test
    void tensorRtWithoutFallbackFailsNamingTheMissingProvider() {
        OnnxTestFiles.assumeCpuOnlyBuild();
        OnnxOptions trt = OnnxOptions.builder().provider(ExecutionProvider.TENSORRT).tensorRtFp16(true).build();
        assertThatThrownBy(() -> OnnxGraph.open(VISION, trt))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining("execution provider 'tensorrt' was asked for")
                .hasMessageContaining("onnxruntime_gpu");
    }

    @Test
    void explicitFallbackRunsOnCpuWarnsAndGivesTheCpuResult() {
        OnnxTestFiles.assumeCpuOnlyBuild();
        OnnxOptions cuda = OnnxOptions.builder().provider(ExecutionProvider.CUDA).deviceId(0)
                .allowCpuFallback(true).build();
        List<String> warnings = new CopyOnWriteArrayList<>();
        Logger logger = (Logger) LogManager.getLogger(OnnxGraph.class);
        AbstractAppender capture = new AbstractAppender("capture", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                warnings.add(event.getLevel() + " " + event.getMessage().getFormattedMessage());
            }
        };
        capture.start();
        logger.addAppender(capture);
        float[] expected;
        try (OnnxGraph cpu = OnnxGraph.open(VISION, OnnxOptions.defaults())) {
            expected = pooled(cpu);
        }
        try (OnnxGraph graph = OnnxGraph.open(VISION, cuda)) {
            assertThat(graph.provider()).isEqualTo(ExecutionProvider.CPU);
            assertThat(graph.requestedProvider()).isEqualTo(ExecutionProvider.CUDA);
            assertThat(graph.fellBackToCpu()).isTrue();
            assertThat(pooled(graph)).containsExactly(expected);
        } finally {
            logger.removeAppender(capture);
        }
        assertThat(warnings).anySatisfy(w -> assertThat(w)
                .startsWith("WARN")
                .contains("execution provider 'cuda' was asked for")
                .contains("falling back to CPU"));
    }

    @Test
    void tensorRtFallbackAlsoLandsOnCpu() {
        OnnxTestFiles.assumeCpuOnlyBuild();
        OnnxOptions trt = OnnxOptions.builder().provider(ExecutionProvider.TENSORRT).allowCpuFallback(true).build();
        try (OnnxGraph graph = OnnxGraph.open(VISION, trt)) {
            assertThat(graph.provider()).isEqualTo(ExecutionProvider.CPU);
            assertThat(graph.requestedProvider()).isEqualTo(ExecutionProvider.TENSORRT);
        }
    }

    @Test
    void fallbackDoesNotHideABrokenModelFile(@TempDir Path dir) throws Exception {
        Path broken = Files.writeString(dir.resolve("vision_model.onnx"), "not an onnx protobuf");
        OnnxOptions cuda = OnnxOptions.builder().provider(ExecutionProvider.CUDA).allowCpuFallback(true).build();
        assertThatThrownBy(() -> OnnxGraph.open(broken, cuda))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageStartingWith("cannot load ONNX model " + broken);
    }

    @Test
    void aMissingFileIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("onnx/vision_model_fp16.onnx");
        assertThatThrownBy(() -> OnnxGraph.open(missing, OnnxOptions.defaults()))
                .isInstanceOf(OnnxModelException.class)
                .hasMessage("model file not found: " + missing);
    }

    @Test
    void requireInputsNamesTheActualInputs() {
        try (OnnxGraph graph = OnnxGraph.open(VISION, OnnxOptions.defaults())) {
            assertThatThrownBy(() -> graph.requireInputs("input_ids"))
                    .isInstanceOf(OnnxModelException.class)
                    .hasMessageContaining("expected an input named 'input_ids'")
                    .hasMessageContaining("[pixel_values]");
        }
    }

    /** Runs one mid-grey 64×64 image through the vision tower and returns its pooled embedding. */
    private static float[] pooled(OnnxGraph graph) {
        float[] pixels = new float[3 * 64 * 64];
        java.util.Arrays.fill(pixels, 0.25f);
        try (OnnxTensor input = OnnxTensor.createTensor(OnnxGraph.environment(), FloatBuffer.wrap(pixels),
                        new long[] {1, 3, 64, 64});
                OrtSession.Result result = graph.run(Map.of("pixel_values", input), graph.outputNames())) {
            float[][] out = (float[][]) result.get("pooler_output").orElseThrow().getValue();
            assertThat(out).hasDimensions(1, 64);
            return out[0];
        } catch (ai.onnxruntime.OrtException e) {
            throw new AssertionError(e);
        }
    }
}
