package dev.siglipstream.siglip.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OnnxOptionsTest {

    @Test
    void defaultsAreCpuFp32WithoutFallback() {
        OnnxOptions o = OnnxOptions.defaults();
        assertThat(o.provider()).isEqualTo(ExecutionProvider.CPU);
        assertThat(o.variant()).isEqualTo(ModelVariant.FP32);
        assertThat(o.deviceId()).isZero();
        assertThat(o.allowCpuFallback()).isFalse();
        assertThat(o.optimizationLevel()).isEqualTo(OnnxOptions.OptimizationLevel.ALL);
        assertThat(o.arenaStrategy()).isEqualTo(OnnxOptions.ArenaStrategy.NEXT_POWER_OF_TWO);
        assertThat(o.cudnnConvAlgoSearch()).isEqualTo(OnnxOptions.CudnnConvAlgoSearch.EXHAUSTIVE);
        assertThat(o.logitScale()).isNull();
    }

    @Test
    void toBuilderKeepsEveryField() {
        OnnxOptions o = OnnxOptions.builder()
                .provider(ExecutionProvider.TENSORRT).deviceId(3).intraOpThreads(2).interOpThreads(1)
                .optimizationLevel(OnnxOptions.OptimizationLevel.EXTENDED).variant(ModelVariant.FP16)
                .cudaMemoryLimitBytes(1L << 32).arenaStrategy(OnnxOptions.ArenaStrategy.SAME_AS_REQUESTED)
                .cudnnConvAlgoSearch(OnnxOptions.CudnnConvAlgoSearch.DEFAULT).tensorRtFp16(true)
                .tensorRtEngineCache(Path.of("/cache/trt")).allowCpuFallback(true)
                .logitScale(117.33f).logitBias(-12.93f)
                .build();
        assertThat(o.toBuilder().build()).isEqualTo(o);
        assertThat(o.toBuilder().provider(ExecutionProvider.CPU).build().deviceId()).isEqualTo(3);
    }

    @Test
    void negativeDeviceIdIsRejected() {
        assertThatThrownBy(() -> OnnxOptions.builder().deviceId(-1).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("deviceId must be >= 0, got -1");
    }

    @Test
    void negativeThreadsAndMemoryAreRejected() {
        assertThatThrownBy(() -> OnnxOptions.builder().intraOpThreads(-2).build())
                .hasMessage("intraOpThreads must be >= 0, got -2");
        assertThatThrownBy(() -> OnnxOptions.builder().interOpThreads(-1).build())
                .hasMessage("interOpThreads must be >= 0, got -1");
        assertThatThrownBy(() -> OnnxOptions.builder().cudaMemoryLimitBytes(-5).build())
                .hasMessage("cudaMemoryLimitBytes must be >= 0, got -5");
    }

    @Test
    void scaleAndBiasComeTogether() {
        assertThatThrownBy(() -> OnnxOptions.builder().logitScale(10f).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("logitScale and logitBias must be given together");
        assertThatThrownBy(() -> OnnxOptions.builder().logitBias(-10f).build())
                .hasMessage("logitScale and logitBias must be given together");
        assertThatThrownBy(() -> OnnxOptions.builder().logitScale(0f).logitBias(1f).build())
                .hasMessageContaining("must be > 0, got 0.0");
        assertThatThrownBy(() -> OnnxOptions.builder().logitScale(Float.NaN).logitBias(1f).build())
                .hasMessageContaining("must be > 0, got NaN");
    }

    @Test
    void providersParseByName() {
        assertThat(ExecutionProvider.parse(" CUDA ")).isEqualTo(ExecutionProvider.CUDA);
        assertThat(ExecutionProvider.parse("tensorrt")).isEqualTo(ExecutionProvider.TENSORRT);
        assertThat(ExecutionProvider.CPU.isGpu()).isFalse();
        assertThat(ExecutionProvider.TENSORRT.isGpu()).isTrue();
        assertThatThrownBy(() -> ExecutionProvider.parse("rocm"))
                .hasMessage("unknown execution provider 'rocm', expected cpu, cuda or tensorrt");
    }

    @Test
    void variantsNameTheirFiles() {
        assertThat(ModelVariant.parse("int8")).isEqualTo(ModelVariant.QUANTIZED);
        assertThat(ModelVariant.parse("FP16").file("vision_model")).isEqualTo("onnx/vision_model_fp16.onnx");
        assertThat(ModelVariant.QUANTIZED.file("text_model")).isEqualTo("onnx/text_model_quantized.onnx");
        assertThat(ModelVariant.FP32.file("model")).isEqualTo("onnx/model.onnx");
        assertThatThrownBy(() -> ModelVariant.parse("bf16"))
                .hasMessage("unknown model variant 'bf16', expected fp32, fp16 or quantized");
    }
}
