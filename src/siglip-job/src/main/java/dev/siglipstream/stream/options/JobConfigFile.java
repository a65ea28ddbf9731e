package dev.siglipstream.stream.options;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

/**
 * Reads a YAML job file into a Flink {@link Configuration}: nested mappings become dotted keys,
 * lists become Flink's {@code a;b} form, and keys must be {@link JobOptions} keys (or Flink's own
 * keys, which pass through to the execution environment).
 */
public final class JobConfigFile {
    /** Every {@link JobOptions} key, sorted (the error for an unknown key lists them). */
    private static final Map<String, Known> OPTIONS = options();
    private static final String PROPERTIES_PREFIX = JobOptions.KAFKA_PROPERTIES.key() + ".";

    private JobConfigFile() {}

    public static Configuration read(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the job file: " + e.getMessage(), e);
        }
        Map<String, String> flat = new LinkedHashMap<>();
        if (root != null && !root.isNull()) {
            if (!root.isObject()) {
                throw new IllegalArgumentException(file + ": expected a mapping of settings, got " + root.getNodeType());
            }
            flatten("", root, flat, file);
        }
        Configuration conf = new Configuration();
        for (Map.Entry<String, String> e : flat.entrySet()) {
            set(conf, e.getKey(), e.getValue(), file.toString());
        }
        return conf;
    }

    /**
     * Sets one {@code key=value}, checking that a {@code siglip.*} key is a known option and that the
     * value parses as that option's type (so a typo fails at the command line, not in a task manager).
     */
    public static void set(Configuration conf, String key, String value, String source) {
        Known known = OPTIONS.get(key);
        if (known == null && key.startsWith("siglip.") && !key.startsWith(PROPERTIES_PREFIX)) {
            throw new IllegalArgumentException(source + ": unknown setting '" + key + "'; known settings: "
                    + OPTIONS.keySet());
        }
        if (known != null) {
            // Enum settings take the flags' spelling too: exactly-once for EXACTLY_ONCE.
            String given = value;
            if (known.type() instanceof Class<?> c && c.isEnum()) {
                value = EnumSpelling.constantName(value);
            }
            Configuration probe = new Configuration();
            probe.setString(key, value);
            try {
                probe.get(known.option());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ": setting '" + key + "': cannot read '" + given + "' as "
                        + known.typeName(), e);
            }
        }
        conf.setString(key, value);
    }

    /** A {@link JobOptions} option and its value type, read from the field's declaration. */
    private record Known(ConfigOption<?> option, Type type) {
        String typeName() {
            if (type instanceof ParameterizedType list && list.getRawType() == List.class) {
                return "a list of " + name(list.getActualTypeArguments()[0]);
            }
            return name(type);
        }

        private static String name(Type t) {
            if (t instanceof Class<?> c && c.isEnum()) {
                return "one of " + EnumSpelling.spellings(c);
            }
            String simple = t instanceof Class<?> c ? c.getSimpleName() : t.getTypeName();
            return switch (simple) {
                case "Integer" -> "an integer";
                case "Long" -> "a long integer";
                case "Float", "Double" -> "a number";
                case "Boolean" -> "true or false";
                case "Duration" -> "a duration (e.g. 10ms, 5s)";
                case "MemorySize" -> "a memory size (e.g. 64mb)";
                default -> "a " + simple;
            };
        }
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out, Path file) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            JsonNode v = e.getValue();
            if (v.isObject()) {
                flatten(key, v, out, file);
            } else if (v.isArray()) {
                List<String> items = new ArrayList<>();
                for (JsonNode item : v) {
                    if (!item.isValueNode()) {
                        throw new IllegalArgumentException(file + ": " + key + " must be a list of plain values, got " + item);
                    }
                    items.add(item.asText());
                }
                out.put(key, String.join(";", items));
            } else if (!v.isNull()) {
                out.put(key, v.asText());
            }
        }
    }

    private static Map<String, Known> options() {
        Map<String, Known> options = new TreeMap<>();
        for (Field f : JobOptions.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && ConfigOption.class.isAssignableFrom(f.getType())) {
                try {
                    ConfigOption<?> option = (ConfigOption<?>) f.get(null);
                    Type declared = f.getGenericType() instanceof ParameterizedType p
                            ? p.getActualTypeArguments()[0] : Object.class;
                    options.put(option.key(), new Known(option, declared));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return options;
    }
}
