package dev.siglipstream.cli;

import dev.siglipstream.siglip.onnx.ModelVariant;
import java.nio.file.Files;
import java.nio.file.Path;

/** Turns a {@code --model} argument into a local folder. */
final class ModelLocation {
    private ModelLocation() {}

    static Path resolve(String model, String revision, ModelVariant variant) {
        Path p = Path.of(model);
        if (Files.isDirectory(p)) return p;
        throw new IllegalArgumentException("model folder not found: " + model);
    }
}
