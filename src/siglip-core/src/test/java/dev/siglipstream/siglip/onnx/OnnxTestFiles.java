package dev.siglipstream.siglip.onnx;

import ai.onnxruntime.OrtProvider;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Test resources and preconditions shared by the ONNX tests. */
final class OnnxTestFiles {
    private OnnxTestFiles() {}

    /** The tiny SigLIP vision tower (64×64 input, 64-d pooler output) from the conformance data. */
    static Path tinyVisionModel() {
        return resource("conformance/models/siglip-tiny/onnx/vision_model.onnx");
    }

    static Path resource(String name) {
        URL url = OnnxTestFiles.class.getClassLoader().getResource(name);
        if (url == null) throw new IllegalStateException("test resource missing: " + name);
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The no-GPU tests describe the CPU artifact; with onnxruntime_gpu on the class path they do not apply. */
    static void assumeCpuOnlyBuild() {
        Assumptions.assumeFalse(SessionOptionsFactory.availableProviders().contains(OrtProvider.CUDA),
                "this ONNX Runtime build has the CUDA provider; the no-GPU tests need the CPU artifact");
    }
}
