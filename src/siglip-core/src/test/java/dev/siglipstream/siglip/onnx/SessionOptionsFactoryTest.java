package dev.siglipstream.siglip.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SessionOptionsFactoryTest {

    @BeforeEach
    void cpuOnly() {
        OnnxTestFiles.assumeCpuOnlyBuild();
    }

    @Test
    void theCpuArtifactHasOnlyTheCpuProvider() {
        assertThat(SessionOptionsFactory.availableProviders())
                .contains(OrtProvider.CPU)
                .doesNotContain(OrtProvider.CUDA, OrtProvider.TENSOR_RT);
    }

    @Test
    void cpuOptionsAreCreatedWithEveryTuningKnob() throws Exception {
        OnnxOptions options = OnnxOptions.builder()
                .intraOpThreads(1)
                .interOpThreads(1)
                .optimizationLevel(OnnxOptions.OptimizationLevel.BASIC)
                .build();
        try (OrtSession.SessionOptions so = SessionOptionsFactory.create(options)) {
            assertThat(so).isNotNull();
        }
    }

    @Test
    void spinningIsOnnxRuntimesDefaultAndCanBeTurnedOff() throws Exception {
        assertThat(OnnxOptions.defaults().spinWait()).isTrue();
        try (OrtSession.SessionOptions so = SessionOptionsFactory.create(OnnxOptions.defaults())) {
            assertThat(so.getConfigEntries()).doesNotContainKey("session.intra_op.allow_spinning");
        }
        OnnxOptions quiet = OnnxOptions.builder().spinWait(false).build();
        try (OrtSession.SessionOptions so = SessionOptionsFactory.create(quiet)) {
            assertThat(so.getConfigEntries()).containsEntry("session.intra_op.allow_spinning", "0");
        }
    }

    @Test
    void cudaOnTheCpuArtifactNamesTheMissingProviderAndArtifact() {
        OnnxOptions options = OnnxOptions.builder()
                .provider(ExecutionProvider.CUDA)
                .deviceId(1)
                .cudaMemoryLimitBytes(2L << 30)
                .arenaStrategy(OnnxOptions.ArenaStrategy.SAME_AS_REQUESTED)
                .cudnnConvAlgoSearch(OnnxOptions.CudnnConvAlgoSearch.HEURISTIC)
                .build();
        assertThatThrownBy(() -> SessionOptionsFactory.create(options))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining("execution provider 'cuda' was asked for")
                .hasMessageContaining("only has [CPU]")
                .hasMessageContaining("com.microsoft.onnxruntime:onnxruntime_gpu");
    }

    @Test
    void tensorRtOnTheCpuArtifactNamesTheMissingProvider() {
        OnnxOptions options = OnnxOptions.builder()
                .provider(ExecutionProvider.TENSORRT)
                .tensorRtFp16(true)
                .tensorRtEngineCache(java.nio.file.Path.of("/tmp/trt-cache"))
                .build();
        assertThatThrownBy(() -> SessionOptionsFactory.create(options))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining("execution provider 'tensorrt' was asked for")
                .hasMessageContaining("onnxruntime_gpu");
    }
}
