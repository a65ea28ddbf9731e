package dev.siglipstream.stream.operator;

import dev.siglipstream.stream.labels.LabelSet;
import java.util.HashMap;
import java.util.Map;

/**
 * An image event whose label set is known: what the async scoring operator needs, as a plain
 * Flink POJO (the Avro record is not carried across the network).
 *
 * @param eventId the event id
 * @param sourceTopic the input topic
 * @param original the input record value, for dead letters
 * @param image the inline encoded image, or null
 * @param imageUri the image URI to fetch, or null
 * @param labelSet the label set to score against, at its current version
 * @param metadata the event's metadata (a {@link HashMap}, because Flink copies it with Kryo)
 * @param eventTime the event time, epoch milliseconds
 */
public record ResolvedEvent(
        String eventId,
        String sourceTopic,
        byte[] original,
        byte[] image,
        String imageUri,
        LabelSet labelSet,
        Map<String, String> metadata,
        long eventTime) {

    public ResolvedEvent {
        metadata = metadata == null ? new HashMap<>() : new HashMap<>(metadata);
    }
}
