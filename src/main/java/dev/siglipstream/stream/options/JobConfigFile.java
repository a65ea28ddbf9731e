package dev.siglipstream.stream.options;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

/**
 * Reads a YAML job file into a Flink {@link Configuration}: nested mappings become dotted keys,
 * lists become Flink's {@code a;b} form, and keys must be {@link JobOptions} keys (or Flink's own
 * keys, which pass through to the execution environment).
 */
public final class JobConfigFile {
    private static final Set<String> KNOWN = knownKeys();
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

    /** Sets one {@code key=value}, checking that a {@code siglip.*} key is a known option. */
    public static void set(Configuration conf, String key, String value, String source) {
        if (key.startsWith("siglip.") && !KNOWN.contains(key) && !key.startsWith(PROPERTIES_PREFIX)) {
            throw new IllegalArgumentException(source + ": unknown setting '" + key + "'; known settings: " + KNOWN);
        }
        conf.setString(key, value);
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

    private static Set<String> knownKeys() {
        Set<String> keys = new TreeSet<>();
        for (Field f : JobOptions.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && ConfigOption.class.isAssignableFrom(f.getType())) {
                try {
                    keys.add(((ConfigOption<?>) f.get(null)).key());
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return keys;
    }
}
