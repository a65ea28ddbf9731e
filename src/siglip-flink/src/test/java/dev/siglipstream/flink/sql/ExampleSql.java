package dev.siglipstream.flink.sql;

import dev.siglipstream.testutils.TestData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SQL example users read ({@code examples/sql/tag-images.sql}, shown as is in README.md's "SigLIP in
 * Flink SQL"), for the tests that run it.
 */
final class ExampleSql {
    static final String FILE = "examples/sql/tag-images.sql";

    private ExampleSql() {}

    /** The repository's root, whichever module's folder the test runs in. */
    static Path root() {
        return TestData.root();
    }

    static String text() {
        return read(root().resolve(FILE));
    }

    static String readme() {
        return read(root().resolve("README.md"));
    }

    /** The ```sql blocks of {@code markdown}, without their fences. */
    static List<String> sqlBlocks(String markdown) {
        List<String> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("```sql\\n(.*?)```", Pattern.DOTALL).matcher(markdown);
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }

    /** The statements of a script: split at the semicolons that end a line, comment lines dropped. */
    static List<String> statements(String script) {
        List<String> out = new ArrayList<>();
        for (String part : script.split(";\\s*(\\n|$)")) {
            String statement = part.lines().filter(l -> !l.trim().startsWith("--")).reduce("", (a, b) -> a + b + "\n").trim();
            if (!statement.isEmpty()) {
                out.add(statement);
            }
        }
        return out;
    }

    /** The value of {@code 'key' = 'value'} in a WITH clause; null when the statement has none. */
    static String option(String statement, String key) {
        Matcher m = Pattern.compile("'" + Pattern.quote(key) + "'\\s*=\\s*'([^']*)'").matcher(statement);
        return m.find() ? m.group(1) : null;
    }

    /** {@code statement} with the value of option {@code key} replaced; fails when it has no such option. */
    static String withOption(String statement, String key, String value) {
        if (option(statement, key) == null) {
            throw new IllegalArgumentException("no '" + key + "' option in " + statement);
        }
        return statement.replaceFirst("'" + Pattern.quote(key) + "'\\s*=\\s*'[^']*'",
                Matcher.quoteReplacement("'" + key + "' = '" + value + "'"));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
