package dev.siglipstream.stream.labels;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads the static label sets of a job from YAML.
 *
 * <pre>{@code
 * label-sets:
 *   - id: animals
 *     labels: [cat, dog, bird]
 *     template: "This is a photo of {}."   # optional
 *     threshold: 0.1                       # optional, else the job default
 *     top-k: 5                             # optional
 *     output-topic: animal-scores          # optional, else the job's output topic
 *     version: 1                           # optional, default 1
 * }</pre>
 */
public final class LabelSetFile {
    private static final Set<String> FIELDS =
            Set.of("id", "labels", "template", "threshold", "top-k", "output-topic", "version");

    private LabelSetFile() {}

    public static List<LabelSet> read(Path file) {
        return read(file, LabelSetLimits.DEFAULTS);
    }

    /** Reads and checks every set against {@code limits}, as updates on the control topic are checked. */
    public static List<LabelSet> read(Path file, LabelSetLimits limits) {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString(), limits);
        } catch (IOException e) {
            throw new LabelSetException(file + ": cannot read the label-set file: " + e.getMessage(), e);
        }
    }

    /** Parses YAML; {@code source} names the file in error messages. */
    public static List<LabelSet> parse(InputStream in, String source) {
        return parse(in, source, LabelSetLimits.DEFAULTS);
    }

    /** Parses YAML and checks each set against {@code limits}; {@code source} names the file in error messages. */
    public static List<LabelSet> parse(InputStream in, String source, LabelSetLimits limits) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(in);
        } catch (IOException e) {
            throw new LabelSetException(source + ": not valid YAML: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject() || !root.has("label-sets")) {
            throw new LabelSetException(source + ": expected a top-level 'label-sets:' list");
        }
        JsonNode list = root.get("label-sets");
        if (!list.isArray()) {
            throw new LabelSetException(source + ": 'label-sets' must be a list, got " + list.getNodeType());
        }
        List<LabelSet> sets = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            String where = source + ": label-sets[" + i + "]";
            LabelSet set = parseOne(list.get(i), where);
            limits.check(set, where + " (id '" + set.id() + "')");
            if (!ids.add(set.id())) {
                throw new LabelSetException(where + ".id '" + set.id() + "' is defined twice");
            }
            sets.add(set);
        }
        return sets;
    }

    private static LabelSet parseOne(JsonNode node, String where) {
        if (!node.isObject()) {
            throw new LabelSetException(where + " must be a mapping, got " + node.getNodeType());
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new LabelSetException(where + ": unknown field '" + f + "', expected one of " + new java.util.TreeSet<>(FIELDS));
            }
        }
        String id = text(node, "id", where);
        if (id == null || id.isBlank()) {
            throw new LabelSetException(where + ".id is required");
        }
        if (LabelSet.INLINE_ID.equals(id)) {
            throw new LabelSetException(where + ".id '" + id + "' is reserved for inline labels");
        }
        JsonNode labelsNode = node.get("labels");
        if (labelsNode == null || !labelsNode.isArray()) {
            throw new LabelSetException(where + ".labels must be a list of strings, got "
                    + (labelsNode == null ? "nothing" : labelsNode.getNodeType()));
        }
        List<String> labels = new ArrayList<>();
        for (int j = 0; j < labelsNode.size(); j++) {
            JsonNode l = labelsNode.get(j);
            if (!l.isValueNode() || l.asText().isBlank()) {
                throw new LabelSetException(where + ".labels[" + j + "] must be a non-empty string, got '" + l + "'");
            }
            labels.add(l.asText());
        }
        String template = text(node, "template", where);
        Float threshold = null;
        if (node.hasNonNull("threshold")) {
            JsonNode t = node.get("threshold");
            if (!t.isNumber() || t.floatValue() < 0f || t.floatValue() > 1f) {
                throw new LabelSetException(where + ".threshold must be a number in [0, 1], got " + t);
            }
            threshold = t.floatValue();
        }
        Integer topK = null;
        if (node.hasNonNull("top-k")) {
            JsonNode k = node.get("top-k");
            if (!k.isInt() || k.intValue() < 1) {
                throw new LabelSetException(where + ".top-k must be an integer >= 1, got " + k);
            }
            topK = k.intValue();
        }
        long version = 1;
        if (node.hasNonNull("version")) {
            JsonNode v = node.get("version");
            if (!v.canConvertToLong() || !v.isIntegralNumber() || v.longValue() < 0) {
                throw new LabelSetException(where + ".version must be an integer >= 0, got " + v);
            }
            version = v.longValue();
        }
        return new LabelSet(id, version, labels, template, threshold, topK, text(node, "output-topic", where), false);
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new LabelSetException(where + "." + field + " must be a string, got " + v);
        }
        return v.asText();
    }
}
