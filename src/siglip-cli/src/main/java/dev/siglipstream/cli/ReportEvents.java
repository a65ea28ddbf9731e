package dev.siglipstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.siglipstream.events.LabelScore;
import dev.siglipstream.events.LabelScoreEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.specific.SpecificDatumReader;

/**
 * The scored events a tagging report shows, read from JSON lines ({@code classify}, {@code consume},
 * {@code demo --out-events}), Avro container files of LabelScoreEvents, or decoded records.
 *
 * <p>Only the scores are read: which labels "match" is decided in the report from each label set's
 * threshold, so the report works whatever an event says it matched.
 */
final class ReportEvents {
    /** Label-set name given to {@code classify} lines, which carry no label set. */
    static final String CLASSIFY_SET = "classify";

    /** One label's score. */
    record Score(String label, float score) {}

    /**
     * One scored image.
     *
     * @param id the event id (the image path for {@code classify} lines)
     * @param labelSet the label set it was scored against
     * @param scores the scores as given (any order)
     * @param imageRef where the image is: a path, a file name or a URI; null when the event names none
     */
    record Event(String id, String labelSet, List<Score> scores, String imageRef) {}

    /** What was read: the scored events and how many lines or records were something else. */
    record Read(List<Event> events, int skipped) {}

    private ReportEvents() {}

    /** An event as the job writes it; the image is named by its metadata ({@code file}, {@code path} or {@code uri}). */
    static Event of(LabelScoreEvent e) {
        List<Score> scores = new ArrayList<>();
        for (LabelScore s : e.getScores()) scores.add(new Score(s.getLabel(), s.getScore()));
        return new Event(e.getEventId(), e.getLabelSetId(), scores, imageRef(e.getMetadata()));
    }

    /** Reads an Avro container file of LabelScoreEvents, or else JSON lines. */
    static Read read(Path file) throws IOException {
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(file)) {
            int n = in.readNBytes(magic, 0, 4);
            if (n == 4 && Arrays.equals(magic, new byte[] {'O', 'b', 'j', 1})) {
                return readAvro(file);
            }
        }
        return readJsonLines(file);
    }

    private static Read readAvro(Path file) throws IOException {
        List<Event> events = new ArrayList<>();
        try (DataFileReader<LabelScoreEvent> reader =
                new DataFileReader<>(file.toFile(), new SpecificDatumReader<>(LabelScoreEvent.class))) {
            for (LabelScoreEvent e : reader) events.add(of(e));
        }
        return new Read(events, 0);
    }

    private static Read readJsonLines(Path file) throws IOException {
        List<Event> events = new ArrayList<>();
        int skipped = 0;
        int lineNo = 0;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line; (line = r.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank()) continue;
                JsonNode n;
                try {
                    n = Json.MAPPER.readTree(line);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalArgumentException(file + ":" + lineNo + ": not a JSON line (expected the output of "
                            + "classify, consume or demo --out-events, or an Avro container file): " + e.getOriginalMessage(), e);
                }
                Event e = n != null && n.isObject() ? fromJson(n) : null;
                if (e == null) {
                    skipped++; // dead letters, {"error": ...} lines, image events
                } else {
                    events.add(e);
                }
            }
        }
        return new Read(events, skipped);
    }

    /** A {@code consume}/{@code demo} LabelScoreEvent line or a {@code classify} line; null for anything else. */
    static Event fromJson(JsonNode n) {
        JsonNode scores = n.get("scores");
        if (scores == null || !scores.isArray()) return null;
        List<Score> list = new ArrayList<>();
        for (JsonNode s : scores) {
            if (s.hasNonNull("label") && s.hasNonNull("score")) {
                list.add(new Score(s.get("label").asText(), (float) s.get("score").asDouble()));
            }
        }
        if (n.hasNonNull("eventId")) {
            Map<String, String> metadata = new LinkedHashMap<>();
            JsonNode m = n.get("metadata");
            if (m != null && m.isObject()) m.fields().forEachRemaining(f -> metadata.put(f.getKey(), f.getValue().asText()));
            String set = n.hasNonNull("labelSetId") ? n.get("labelSetId").asText() : CLASSIFY_SET;
            return new Event(n.get("eventId").asText(), set, list, imageRef(metadata));
        }
        if (n.hasNonNull("image")) {
            String image = n.get("image").asText();
            return new Event(image, CLASSIFY_SET, list, image);
        }
        return null;
    }

    private static String imageRef(Map<String, String> metadata) {
        for (String key : List.of("path", "file", "uri", "imageUri", "image")) {
            String v = metadata.get(key);
            if (v != null && !v.isBlank()) return v;
        }
        return null;
    }
}
