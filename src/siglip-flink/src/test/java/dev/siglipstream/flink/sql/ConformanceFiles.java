package dev.siglipstream.flink.sql;

import dev.siglipstream.testutils.TestData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The shared conformance data's tiny model and images (siglip-testutils), by image id (file name without extension). */
final class ConformanceFiles {
    private ConformanceFiles() {}

    static Path root() {
        return TestData.conformance();
    }

    static Path tinyModel() {
        return TestData.conformance("models/siglip-tiny");
    }

    /** Every conformance image's id, sorted. */
    static List<String> imageIds() {
        return images().map(ConformanceFiles::id).sorted().toList();
    }

    static Path image(String id) {
        return images().filter(p -> id(p).equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no conformance image " + id));
    }

    private static Stream<Path> images() {
        try (Stream<Path> files = Files.list(TestData.conformance("images"))) {
            return files.filter(Files::isRegularFile).toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String id(Path image) {
        String name = image.getFileName().toString();
        return name.substring(0, name.lastIndexOf('.'));
    }
}
