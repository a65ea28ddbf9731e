package dev.siglipstream.stream.job;

import dev.siglipstream.testutils.ImageLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The container image's layout (deploy/README.md, mode 2): ONNX Runtime, DJL (its API, SentencePiece and the
 * Hugging Face tokenizers), JNA and Gson in lib/, their packages parent-first.
 */
class ImageLayoutFlinkClusterITCase extends FlinkClusterScenarios {
    @Override
    String variant() {
        return "image";
    }

    @Override
    List<Path> lib() {
        return ImageLayout.libJars();
    }

    /**
     * One: with DJL and ONNX Runtime loaded by Flink's parent class loader, one user-code class loader stays alive
     * after a cancel (1 after each of three redeploys: they do not add up). It holds no native library of its own
     * in this layout, so the next job is not held up by it; what keeps it is not found yet (deploy/README.md,
     * section 6).
     */
    @Override
    int loadersKeptAfterCancel() {
        return 1;
    }

    @Override
    Map<String, String> settings() {
        return Map.of("classloader.parent-first-patterns.additional", String.join(";", ImageLayout.PARENT_FIRST));
    }
}
