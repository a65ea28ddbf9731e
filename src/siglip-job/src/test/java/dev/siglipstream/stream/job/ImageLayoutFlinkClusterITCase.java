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

    @Override
    Map<String, String> settings() {
        return Map.of("classloader.parent-first-patterns.additional", String.join(";", ImageLayout.PARENT_FIRST));
    }
}
