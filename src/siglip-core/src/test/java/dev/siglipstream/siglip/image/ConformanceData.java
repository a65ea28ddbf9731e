package dev.siglipstream.siglip.image;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** Locates the vendored conformance data through the test class path, not the working directory. */
final class ConformanceData {
    static final Path ROOT = locate();

    private ConformanceData() {}

    private static Path locate() {
        try {
            return Path.of(ConformanceData.class.getResource("/conformance/cases.json").toURI()).getParent();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("conformance/cases.json is not on the test class path", e);
        }
    }
}
