package dev.siglipstream.testutils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The container image's additions to Flink's {@code lib/} and its parent-first patterns, as deploy/README.md
 * documents them: the one description that the Dockerfile, the FlinkDeployment (DeploymentManifestsTest) and the
 * real-cluster test's "image" variant are checked against.
 */
public final class ImageLayout {
    /** {@code classloader.parent-first-patterns.additional} of the image. */
    public static final List<String> PARENT_FIRST = List.of("ai.onnxruntime", "ai.djl", "com.sun.jna");
    /** Where the build copies DJL, its tokenizers, JNA and Gson for lib/ (siglip-job's pom.xml, execution flink-lib), from the repository root. */
    public static final String FLINK_LIB_IN_REPO = "src/siglip-job/target/flink-lib";
    public static final Path FLINK_LIB = TestData.path(FLINK_LIB_IN_REPO);
    /** The jars target/flink-lib must hold (artifact ids). */
    public static final List<String> FLINK_LIB_ARTIFACTS = List.of("api", "sentencepiece", "tokenizers", "jna", "gson");

    private ImageLayout() {}

    /**
     * The image's lib/ additions for a CPU cluster: the jars of target/flink-lib plus the CPU ONNX Runtime of the
     * test class path (the image fetches the GPU build of the same version instead).
     */
    public static List<Path> libJars() {
        List<Path> jars = new ArrayList<>();
        try (Stream<Path> files = Files.list(FLINK_LIB)) {
            files.filter(f -> f.toString().endsWith(".jar")).sorted().forEach(jars::add);
        } catch (IOException e) {
            throw new UncheckedIOException(FLINK_LIB + " is missing: the build writes it (maven-dependency-plugin, "
                    + "execution flink-lib)", e);
        }
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (entry.replace('\\', '/').contains("/com/microsoft/onnxruntime/onnxruntime/") && entry.endsWith(".jar")) {
                jars.add(Path.of(entry));
            }
        }
        return jars;
    }
}
