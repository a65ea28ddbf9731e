package dev.siglipstream.siglip.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Typed, path-aware reads from a JSON config file: omitted keys take the caller's default, a present
 * key of the wrong type is a {@link ConfigException} naming the file and the dotted field path.
 */
public final class JsonFields {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final String file;
    private final String prefix;
    private final JsonNode node;

    private JsonFields(String file, String prefix, JsonNode node) {
        this.file = file;
        this.prefix = prefix;
        this.node = node;
    }

    /** Parses {@code path} as a JSON object. */
    public static JsonFields read(Path path) {
        JsonNode root;
        try {
            root = MAPPER.readTree(Files.readAllBytes(path));
        } catch (NoSuchFileException e) {
            throw new ConfigException(path + ": file not found");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ConfigException(path + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ConfigException(path + ": cannot be read: " + e, e);
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException(path + ": expected a JSON object at the top level");
        }
        return new JsonFields(path.toString(), "", root);
    }

    public boolean has(String key) {
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    /** The nested object {@code key}, or an empty object when it is omitted or null. */
    public JsonFields object(String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return new JsonFields(file, path(key) + ".", MAPPER.createObjectNode());
        }
        if (!v.isObject()) throw wrongType(key, "an object", v);
        return new JsonFields(file, path(key) + ".", v);
    }

    public int getInt(String key, int fallback) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw wrongType(key, "an integer", v);
        return v.intValue();
    }

    /** An integer that must be at least {@code min}. */
    public int getInt(String key, int fallback, int min) {
        int value = getInt(key, fallback);
        if (value < min) {
            throw new ConfigException(file + ": field '" + path(key) + "' must be >= " + min + ", got " + value);
        }
        return value;
    }

    public double getDouble(String key, double fallback) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.isNumber()) throw wrongType(key, "a number", v);
        return v.doubleValue();
    }

    public boolean getBoolean(String key, boolean fallback) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.isBoolean()) throw wrongType(key, "true or false", v);
        return v.booleanValue();
    }

    public String getString(String key, String fallback) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.isTextual()) throw wrongType(key, "a string", v);
        return v.textValue();
    }

    /** A list of strings; empty when omitted. */
    public java.util.List<String> getStrings(String key) {
        JsonNode v = node.get(key);
        java.util.List<String> out = new java.util.ArrayList<>();
        if (v == null || v.isNull()) return out;
        if (!v.isArray()) throw wrongType(key, "a list of strings", v);
        for (JsonNode item : v) {
            if (!item.isTextual()) throw wrongType(key, "a list of strings", v);
            out.add(item.textValue());
        }
        return out;
    }

    /** A list of numbers; {@code fallback} when omitted. */
    public double[] getDoubles(String key, double[] fallback) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.isArray()) throw wrongType(key, "a list of numbers", v);
        double[] out = new double[v.size()];
        for (int i = 0; i < out.length; i++) {
            if (!v.get(i).isNumber()) throw wrongType(key, "a list of numbers", v);
            out[i] = v.get(i).doubleValue();
        }
        return out;
    }

    /** A {@code {"0": "cat", ...}} map with integer keys, in key order; empty when omitted. */
    public Map<Integer, String> getIntKeyedStrings(String key) {
        JsonNode v = node.get(key);
        Map<Integer, String> out = new java.util.TreeMap<>();
        if (v == null || v.isNull()) return out;
        if (!v.isObject()) throw wrongType(key, "an object", v);
        for (Map.Entry<String, JsonNode> e : v.properties()) {
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw new ConfigException(file + ": field '" + path(key) + "' has key '" + e.getKey()
                        + "', expected an integer class id");
            }
            if (!e.getValue().isTextual()) throw wrongType(key + "." + e.getKey(), "a string", e.getValue());
            out.put(id, e.getValue().textValue());
        }
        return new LinkedHashMap<>(out);
    }

    public String file() {
        return file;
    }

    String path(String key) {
        return prefix + key;
    }

    private ConfigException wrongType(String key, String expected, JsonNode got) {
        return new ConfigException(file + ": field '" + path(key) + "' must be " + expected + ", got " + got);
    }
}
