package dev.siglipstream.stream.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.testutils.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.Test;

/**
 * Schemas evolve compatibly: every schema in {@code schemas/} reads data written with each version
 * in {@code schemas/history/<Name>/vN.avsc} and vice versa, every field is documented, and fields
 * added after v1 have defaults. Walks the history folder, so new versions are checked without edits.
 */
class SchemaCompatibilityTest {
    private static final Path SCHEMAS = TestData.path("schemas");
    private static final Pattern VERSION = Pattern.compile("v(\\d+)\\.avsc");

    @Test
    void everyCurrentSchemaIsFullyCompatibleWithEveryPreviousVersion() throws IOException {
        Map<String, Schema> current = currentSchemas();
        assertThat(current).containsKeys("ImageEvent", "LabelScoreEvent", "LabelSetUpdate", "DeadLetter");
        int checked = 0;
        for (Map.Entry<String, Schema> e : current.entrySet()) {
            List<Path> versions = history(e.getKey());
            assertThat(versions).as("schemas/history/%s/v1.avsc must exist", e.getKey()).isNotEmpty();
            assertThat(versions.get(0).getFileName()).hasToString("v1.avsc");
            for (Path version : versions) {
                Schema old = parse(version);
                assertThat(old.getFullName()).as(version.toString()).isEqualTo(e.getValue().getFullName());
                assertThat(problems(e.getValue(), old)).as("current %s reading data written with %s", e.getKey(), version).isEmpty();
                assertThat(problems(old, e.getValue())).as("%s reading data written with current %s", version, e.getKey()).isEmpty();
                checked++;
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(4);
    }

    @Test
    void historyVersionsAreCompatibleWithEachOther() throws IOException {
        for (String name : currentSchemas().keySet()) {
            List<Path> versions = history(name);
            for (int i = 1; i < versions.size(); i++) {
                Schema older = parse(versions.get(i - 1));
                Schema newer = parse(versions.get(i));
                assertThat(problems(newer, older)).as("%s reading %s", versions.get(i), versions.get(i - 1)).isEmpty();
                assertThat(problems(older, newer)).as("%s reading %s", versions.get(i - 1), versions.get(i)).isEmpty();
            }
        }
    }

    @Test
    void everyRecordFieldAndEnumIsDocumented() throws IOException {
        List<String> missing = new ArrayList<>();
        int fields = 0;
        for (Schema schema : currentSchemas().values()) {
            for (Schema named : namedTypes(schema)) {
                if (named.getDoc() == null || named.getDoc().isBlank()) {
                    missing.add(named.getFullName());
                }
                if (named.getType() == Schema.Type.RECORD) {
                    for (Schema.Field f : named.getFields()) {
                        fields++;
                        if (f.doc() == null || f.doc().isBlank()) {
                            missing.add(named.getFullName() + "." + f.name());
                        }
                    }
                }
            }
        }
        assertThat(missing).as("types and fields without a doc").isEmpty();
        assertThat(fields).isGreaterThan(20);
    }

    @Test
    void fieldsAddedAfterV1HaveDefaults() throws IOException {
        for (Map.Entry<String, Schema> e : currentSchemas().entrySet()) {
            Map<String, Schema> v1Records = recordsByName(parse(history(e.getKey()).get(0)));
            List<Schema> laterVersions = new ArrayList<>();
            for (Path p : history(e.getKey())) {
                laterVersions.add(parse(p));
            }
            laterVersions.add(e.getValue());
            for (Schema later : laterVersions) {
                assertThat(addedWithoutDefault(v1Records, later)).as("fields of %s added after v1 without a default", e.getKey()).isEmpty();
            }
        }
    }

    @Test
    void theChecksCatchAnIncompatibleChange() {
        Schema v1 = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"R\",\"doc\":\"r\",\"fields\":["
                + "{\"name\":\"a\",\"type\":\"string\",\"doc\":\"a\"}]}");
        Schema noDefault = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"R\",\"doc\":\"r\",\"fields\":["
                + "{\"name\":\"a\",\"type\":\"string\",\"doc\":\"a\"},{\"name\":\"b\",\"type\":\"int\",\"doc\":\"b\"}]}");
        Schema withDefault = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"R\",\"doc\":\"r\",\"fields\":["
                + "{\"name\":\"a\",\"type\":\"string\",\"doc\":\"a\"},{\"name\":\"b\",\"type\":\"int\",\"default\":0,\"doc\":\"b\"}]}");
        Schema retyped = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"R\",\"doc\":\"r\",\"fields\":["
                + "{\"name\":\"a\",\"type\":\"int\",\"doc\":\"a\"}]}");
        assertThat(problems(noDefault, v1)).singleElement().asString().contains("READER_FIELD_MISSING_DEFAULT_VALUE").contains("b");
        assertThat(problems(v1, noDefault)).isEmpty();
        assertThat(problems(withDefault, v1)).isEmpty();
        assertThat(problems(retyped, v1)).isNotEmpty();
        assertThat(addedWithoutDefault(recordsByName(v1), noDefault)).containsExactly("R.b");
        assertThat(addedWithoutDefault(recordsByName(v1), withDefault)).isEmpty();
    }

    private static List<String> problems(Schema reader, Schema writer) {
        SchemaCompatibility.SchemaPairCompatibility result = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
        if (result.getType() == SchemaCompatibilityType.COMPATIBLE) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        result.getResult().getIncompatibilities().forEach(i -> out.add(i.getType() + " at " + i.getLocation() + ": " + i.getMessage()));
        return out;
    }

    private static List<String> addedWithoutDefault(Map<String, Schema> v1Records, Schema later) {
        List<String> out = new ArrayList<>();
        for (Schema record : recordsByName(later).values()) {
            Schema original = v1Records.get(record.getFullName());
            for (Schema.Field f : record.getFields()) {
                // A record type new since v1 is reached only through an added field, which itself needs a default.
                if (original != null && original.getField(f.name()) == null && !f.hasDefaultValue()) {
                    out.add(record.getFullName() + "." + f.name());
                }
            }
        }
        return out;
    }

    private static Map<String, Schema> currentSchemas() throws IOException {
        assertThat(SCHEMAS).as("schema folder").isDirectory();
        Map<String, Schema> out = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(SCHEMAS)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".avsc")).sorted().toList()) {
                Schema s = parse(p);
                assertThat(p.getFileName()).hasToString(s.getName() + ".avsc");
                out.put(s.getName(), s);
            }
        }
        return out;
    }

    private static List<Path> history(String name) throws IOException {
        Path dir = SCHEMAS.resolve("history").resolve(name);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> versions = files.filter(f -> VERSION.matcher(f.getFileName().toString()).matches())
                    .sorted(Comparator.comparingInt(SchemaCompatibilityTest::versionOf)).toList();
            for (int i = 0; i < versions.size(); i++) {
                assertThat(versionOf(versions.get(i))).as("versions in %s are v1, v2, ... without gaps", dir).isEqualTo(i + 1);
            }
            return versions;
        }
    }

    private static int versionOf(Path p) {
        Matcher m = VERSION.matcher(p.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a version file: " + p);
        }
        return Integer.parseInt(m.group(1));
    }

    private static Schema parse(Path p) {
        try {
            return new Schema.Parser().parse(p.toFile());
        } catch (IOException | RuntimeException e) {
            throw new AssertionError("cannot parse " + p + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, Schema> recordsByName(Schema root) {
        Map<String, Schema> out = new LinkedHashMap<>();
        for (Schema s : namedTypes(root)) {
            if (s.getType() == Schema.Type.RECORD) {
                out.put(s.getFullName(), s);
            }
        }
        return out;
    }

    /** Every record and enum reachable from {@code root}. */
    private static List<Schema> namedTypes(Schema root) {
        List<Schema> out = new ArrayList<>();
        collect(root, java.util.Collections.newSetFromMap(new IdentityHashMap<>()), out);
        return out;
    }

    private static void collect(Schema s, Set<Schema> seen, List<Schema> out) {
        if (!seen.add(s)) {
            return;
        }
        switch (s.getType()) {
            case RECORD -> {
                out.add(s);
                s.getFields().forEach(f -> collect(f.schema(), seen, out));
            }
            case ENUM -> out.add(s);
            case ARRAY -> collect(s.getElementType(), seen, out);
            case MAP -> collect(s.getValueType(), seen, out);
            case UNION -> s.getTypes().forEach(t -> collect(t, seen, out));
            default -> { }
        }
    }
}
