package dev.siglipstream.stream.serde;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.events.LabelScore;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.events.LabelSetUpdate;
import org.apache.avro.specific.SpecificRecord;

/**
 * One-line JSON for the event records, for {@code siglip consume}, logs and scripts.
 *
 * <p>Field names are the Avro field names; timestamps are ISO-8601 UTC strings; map keys are
 * sorted; bytes are base64 ({@code original} of a dead letter), except an ImageEvent's image,
 * shown only as its length ({@code imageBytes}) because images are large. A scored event's
 * {@code matched} is the list of matched labels, in score order, as it always was: the record itself
 * carries a {@code matched} flag in each score instead of the labels a second time.
 *
 * <pre>{@code
 * System.out.println(EventJson.toJson(labelScoreEvent));
 * // {"eventId":"e1","labelSetId":"animals",...,"scores":[{"label":"cat","score":0.75}],...}
 * }</pre>
 */
public final class EventJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private EventJson() {}

    /**
     * Renders a {@link LabelScoreEvent}, {@link DeadLetter}, {@link ImageEvent} or {@link
     * LabelSetUpdate} as one line of JSON.
     *
     * @throws IllegalArgumentException for any other record type
     */
    public static String toJson(SpecificRecord record) {
        ObjectNode node;
        if (record instanceof LabelScoreEvent e) {
            node = scores(e);
        } else if (record instanceof DeadLetter d) {
            node = deadLetter(d);
        } else if (record instanceof ImageEvent i) {
            node = image(i);
        } else if (record instanceof LabelSetUpdate u) {
            node = labelSet(u);
        } else {
            throw new IllegalArgumentException("no JSON rendering for " + (record == null ? "null" : record.getClass().getName())
                    + ", expected LabelScoreEvent, DeadLetter, ImageEvent or LabelSetUpdate");
        }
        return write(node);
    }

    /** An {@code {"error": ...}} line for a record that could not be decoded, with where it came from. */
    public static String error(String message, String topic, int partition, long offset) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("error", message);
        node.put("topic", topic);
        node.put("partition", partition);
        node.put("offset", offset);
        return write(node);
    }

    /** The labels of {@code e} whose score is at or above its set's threshold, in score order. */
    public static java.util.List<String> matched(LabelScoreEvent e) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (LabelScore s : e.getScores()) {
            if (s.getMatched()) {
                out.add(s.getLabel());
            }
        }
        return out;
    }

    private static ObjectNode scores(LabelScoreEvent e) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("eventId", e.getEventId());
        n.put("labelSetId", e.getLabelSetId());
        n.put("labelSetVersion", e.getLabelSetVersion());
        n.put("modelId", e.getModelId());
        ArrayNode scores = n.putArray("scores");
        for (LabelScore s : e.getScores()) {
            scores.addObject().put("label", s.getLabel()).put("score", s.getScore());
        }
        strings(n, "matched", matched(e));
        if (e.getImageEmbedding() == null) {
            n.putNull("imageEmbedding");
        } else {
            ArrayNode emb = n.putArray("imageEmbedding");
            e.getImageEmbedding().forEach(emb::add);
        }
        ObjectNode timings = n.putObject("timings");
        new TreeMap<>(e.getTimings()).forEach(timings::put);
        map(n, "metadata", e.getMetadata());
        time(n, "eventTime", e.getEventTime());
        time(n, "processedAt", e.getProcessedAt());
        return n;
    }

    private static ObjectNode deadLetter(DeadLetter d) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("eventId", d.getEventId());
        n.put("original", base64(d.getOriginal()));
        n.put("reason", d.getReason() == null ? null : d.getReason().name());
        n.put("message", d.getMessage());
        n.put("stage", d.getStage());
        n.put("sourceTopic", d.getSourceTopic());
        n.put("sourcePartition", d.getSourcePartition());
        n.put("sourceOffset", d.getSourceOffset());
        n.put("sourceKey", base64(d.getSourceKey()));
        n.put("originalSize", d.getOriginalSize());
        n.put("originalSha256", d.getOriginalSha256());
        time(n, "time", d.getTime());
        return n;
    }

    private static ObjectNode image(ImageEvent i) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("id", i.getId());
        if (i.getImage() == null) {
            n.putNull("imageBytes");
        } else {
            n.put("imageBytes", i.getImage().remaining());
        }
        n.put("imageUri", i.getImageUri());
        n.put("labelSetId", i.getLabelSetId());
        strings(n, "labels", i.getLabels());
        n.put("contentType", i.getContentType());
        map(n, "metadata", i.getMetadata());
        time(n, "eventTime", i.getEventTime());
        return n;
    }

    private static ObjectNode labelSet(LabelSetUpdate u) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("id", u.getId());
        n.put("version", u.getVersion());
        strings(n, "labels", u.getLabels());
        n.put("template", u.getTemplate());
        n.put("threshold", u.getThreshold());
        n.put("topK", u.getTopK());
        n.put("outputTopic", u.getOutputTopic());
        n.put("deleted", u.getDeleted());
        return n;
    }

    private static void strings(ObjectNode n, String field, List<String> values) {
        if (values == null) {
            n.putNull(field);
        } else {
            ArrayNode a = n.putArray(field);
            values.forEach(a::add);
        }
    }

    private static void map(ObjectNode n, String field, Map<String, String> values) {
        ObjectNode m = n.putObject(field);
        if (values != null) {
            new TreeMap<>(values).forEach(m::put);
        }
    }

    private static void time(ObjectNode n, String field, Instant t) {
        n.put(field, t == null ? null : t.toString());
    }

    private static String base64(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        // duplicate(): reading must not move the record's buffer position.
        ByteBuffer b = buffer.duplicate();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return Base64.getEncoder().encodeToString(bytes);
    }

    private static String write(ObjectNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render JSON", e);
        }
    }
}
