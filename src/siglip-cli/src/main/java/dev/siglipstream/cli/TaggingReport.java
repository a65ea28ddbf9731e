package dev.siglipstream.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the tagging report: one self-contained HTML page (inline CSS, vanilla JS, SVG charts, JPEG
 * thumbnails as data URIs; nothing fetched) holding the scores as JSON. The page draws, per label
 * set, a histogram of each label's scores with the set's threshold (movable) and the count at or
 * above it, and a paged grid of thumbnails with score bars, filtered by label set, label and score.
 */
final class TaggingReport {
    private static final String TEMPLATE = "report/report.html";
    private static final String PLACEHOLDER = "<!--REPORT-DATA-->";

    /** A label set's threshold and where it came from (shown on the page). */
    record Threshold(float value, String from) {}

    /**
     * @param title the page title
     * @param source one line saying where the events came from
     * @param events the scored events, in the order to show them
     * @param thumbnails data URIs of the images
     * @param thumbnailOf per event, the index into {@code thumbnails}, or -1 when its image was not found
     * @param labelOrder per label set, labels to list first (e.g. in the label-set file's order); may be empty
     * @param thresholds per label set, the threshold to start from; {@code fallback} for the others
     */
    record Content(String title, String source, List<ReportEvents.Event> events, List<String> thumbnails,
            int[] thumbnailOf, Map<String, List<String>> labelOrder, Map<String, Threshold> thresholds, Threshold fallback) {}

    private TaggingReport() {}

    static void write(Content c, Path out) throws IOException {
        String template;
        try (InputStream in = TaggingReport.class.getClassLoader().getResourceAsStream(TEMPLATE)) {
            if (in == null) throw new IOException(TEMPLATE + " is not on the class path; rebuild the project");
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        int at = template.indexOf(PLACEHOLDER);
        if (at < 0) throw new IllegalStateException(TEMPLATE + " lacks " + PLACEHOLDER);
        // "</" inside a script element would end it early; JSON allows "<\/".
        String json = Json.write(data(c)).replace("</", "<\\/");
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        try (Writer w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            w.write(template, 0, at);
            w.write("<script type=\"application/json\" id=\"report-data\">");
            w.write(json);
            w.write("</script>");
            w.write(template, at + PLACEHOLDER.length(), template.length() - at - PLACEHOLDER.length());
        }
    }

    static ObjectNode data(Content c) {
        Map<String, List<String>> labels = new LinkedHashMap<>();
        for (ReportEvents.Event e : c.events()) {
            List<String> list = labels.computeIfAbsent(e.labelSet(), k -> new ArrayList<>(c.labelOrder().getOrDefault(k, List.of())));
            for (ReportEvents.Score s : e.scores()) if (!list.contains(s.label())) list.add(s.label());
        }
        List<String> setIds = new ArrayList<>(labels.keySet());
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("title", c.title());
        root.put("source", c.source());
        ArrayNode sets = root.putArray("sets");
        for (String id : setIds) {
            Threshold t = c.thresholds().getOrDefault(id, c.fallback());
            ObjectNode s = sets.addObject();
            s.put("id", id);
            s.put("threshold", Math.round(t.value() * 1e4) / 1e4);
            s.put("thresholdFrom", t.from());
            labels.get(id).forEach(s.putArray("labels")::add);
        }
        Map<String, Map<String, Integer>> index = new LinkedHashMap<>();
        labels.forEach((set, list) -> {
            Map<String, Integer> m = new LinkedHashMap<>();
            for (String l : list) m.put(l, m.size());
            index.put(set, m);
        });
        Map<String, Integer> setIndex = new LinkedHashMap<>();
        setIds.forEach(id -> setIndex.put(id, setIndex.size()));
        ArrayNode events = root.putArray("events");
        int missing = 0;
        for (int i = 0; i < c.events().size(); i++) {
            ReportEvents.Event e = c.events().get(i);
            Map<String, Integer> setLabels = index.get(e.labelSet());
            ObjectNode n = events.addObject();
            n.put("id", e.id());
            n.put("set", setIndex.get(e.labelSet()));
            n.put("img", c.thumbnailOf()[i]);
            if (c.thumbnailOf()[i] < 0) {
                missing++;
                if (e.imageRef() != null) n.put("ref", e.imageRef());
            }
            ArrayNode scores = n.putArray("s");
            e.scores().stream()
                    .sorted((a, b) -> Float.compare(b.score(), a.score()))
                    .forEach(s -> scores.addArray().add(setLabels.get(s.label())).add(Math.round(s.score() * 1e4) / 1e4));
        }
        root.put("missing", missing);
        c.thumbnails().forEach(root.putArray("thumbs")::add);
        return root;
    }
}
