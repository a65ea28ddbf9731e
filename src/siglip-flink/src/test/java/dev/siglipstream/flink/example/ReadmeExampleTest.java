package dev.siglipstream.flink.example;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The README's DataStream snippet is the code of {@link ReadmeDataStreamExample}, which the build compiles and a test runs. */
class ReadmeExampleTest {
    static final String HEADING = "## Use it in your own Flink job";

    @Test
    void theReadmeShowsTheExampleFilesCode() throws IOException {
        Path root = repositoryRoot();
        Path example;
        try (Stream<Path> files = Files.walk(root.resolve("src"))) {
            example = files.filter(p -> p.endsWith(Path.of("dev/siglipstream/flink/example/ReadmeDataStreamExample.java")))
                    .findFirst().orElseThrow();
        }
        String code = between(Files.readString(example), "    // [readme]\n", "    // [/readme]\n");
        String readme = Files.readString(root.resolve("README.md"));
        int heading = readme.indexOf(HEADING);
        assertThat(heading).as("README has the section '%s'", HEADING).isNotNegative();
        String snippet = between(readme.substring(heading), "```java\n", "```\n");
        assertThat(snippet).as("README's snippet vs the lines between the markers of %s", example)
                .isEqualTo(dedent(code, 4));
    }

    /** The text of {@code s} between the first {@code from} and the next {@code to}. */
    static String between(String s, String from, String to) {
        int start = s.indexOf(from);
        assertThat(start).as("'%s' present", from.strip()).isNotNegative();
        start += from.length();
        int end = s.indexOf(to, start);
        assertThat(end).as("'%s' present", to.strip()).isNotNegative();
        return s.substring(start, end);
    }

    static String dedent(String code, int spaces) {
        StringBuilder out = new StringBuilder();
        for (String line : code.split("\n", -1)) {
            out.append(line.startsWith(" ".repeat(spaces)) ? line.substring(spaces) : line).append('\n');
        }
        return out.substring(0, out.length() - 1);
    }

    /** The folder with the project's README.md and Maven wrapper, from wherever the tests run (the root or a module). */
    static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("README.md")) && Files.isRegularFile(p.resolve("mvnw"))) {
                return p;
            }
        }
        throw new IllegalStateException("no README.md with mvnw above " + Path.of("").toAbsolutePath());
    }

    @Test
    void dedentKeepsBlankLines() {
        assertThat(dedent("    a\n\n        b\n", 4)).isEqualTo(String.join("\n", List.of("a", "", "    b", "")));
    }
}
