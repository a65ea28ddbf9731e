package dev.siglipstream.siglip.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.siglipstream.siglip.image.SiglipImageProcessor;
import dev.siglipstream.testutils.Conformance;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Closing a model while batches are running must wait for them (freeing the native session under a
 * run crashes the JVM); runs after close fail with an exception instead.
 */
class OnnxGraphLifecycleTest {
    @Test
    void closeWaitsForRunsInFlightAndLaterRunsFailCleanly() throws Exception {
        SiglipVisionModel vision = SiglipVisionModel.load(Conformance.tinyModel().resolve("onnx/vision_model.onnx"), 64,
                OnnxOptions.builder().intraOpThreads(1).build());
        FloatBuffer pixels = SiglipImageProcessor.allocate(16, 64, 64);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<Integer>> runs = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            runs.add(pool.submit(() -> {
                int ok = 0;
                for (int i = 0; i < 200; i++) {
                    try {
                        assertThat(vision.poolerOutput(pixels.duplicate(), 16)).hasNumberOfRows(16);
                        ok++;
                    } catch (IllegalStateException closed) {
                        assertThat(closed).hasMessageContaining("closed");
                        return ok;
                    }
                }
                return ok;
            }));
        }
        Thread.sleep(100);
        vision.close(); // must not free the session under a running batch
        for (Future<Integer> f : runs) f.get(60, TimeUnit.SECONDS);
        pool.shutdown();
        assertThatThrownBy(() -> vision.poolerOutput(pixels.duplicate(), 1))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        vision.close(); // idempotent
    }
}
