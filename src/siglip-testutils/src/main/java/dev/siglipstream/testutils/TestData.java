package dev.siglipstream.testutils;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a test finds the project's files, whichever module's directory Surefire runs it in: the repository
 * root (deploy/, schemas/, examples/, the modules under src/) and the shared conformance data, which lives
 * once, in siglip-testutils' resources, and is found through the class path.
 */
public final class TestData {
    private static final Path ROOT = locateRoot();

    private TestData() {}

    /** The repository root: the multi-module root holding mvnw and schemas/. */
    public static Path root() {
        return ROOT;
    }

    /** A file or folder of the repository, e.g. {@code path("deploy/Dockerfile")}. */
    public static Path path(String relative) {
        return ROOT.resolve(relative);
    }

    /** A module's folder, e.g. {@code module("siglip-job")}. */
    public static Path module(String name) {
        return ROOT.resolve("src").resolve(name);
    }

    /** The conformance data folder (models, images, golden arrays, cases.json; its README.md says where they come from). */
    public static Path conformance() {
        URL url = TestData.class.getClassLoader().getResource("conformance/cases.json");
        if (url == null) throw new IllegalStateException("conformance data missing from the test class path (siglip-testutils)");
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A file or folder of the conformance data, e.g. {@code conformance("models/siglip-tiny")}. */
    public static Path conformance(String relative) {
        return conformance().resolve(relative);
    }

    private static Path locateRoot() {
        Path start = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("mvnw")) && Files.isDirectory(dir.resolve("schemas"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no repository root (a folder with mvnw and schemas/) at or above " + start);
    }
}
