package dev.siglipstream.siglip.image;

import dev.siglipstream.testutils.TestData;
import java.nio.file.Path;

/** Locates the vendored conformance data through the test class path, not the working directory. */
final class ConformanceData {
    static final Path ROOT = TestData.conformance();

    private ConformanceData() {}
}
