package dev.siglipstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** JSON in and out for the command line. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    /** A JSON file holding a list of strings (or an object with a "texts"/"labels" list). */
    static List<String> readStrings(Path file) {
        JsonNode root;
        try {
            root = MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not readable JSON: " + e.getMessage(), e);
        }
        if (root != null && root.isObject()) {
            for (String key : List.of("texts", "labels", "candidate_labels")) {
                if (root.has(key)) {
                    root = root.get(key);
                    break;
                }
            }
        }
        if (root == null || !root.isArray()) {
            throw new IllegalArgumentException(file + ": expected a JSON list of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode n : root) {
            if (!n.isTextual()) throw new IllegalArgumentException(file + ": expected a JSON list of strings, found " + n);
            out.add(n.textValue());
        }
        return out;
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
