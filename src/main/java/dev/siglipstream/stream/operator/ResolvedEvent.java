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
 * @param original the input record value: for dead letters, and the inline image is read from it
 *     again where it is needed (so in-flight checkpoints hold each image once)
 * @param imageUri the image URI to fetch, or null
 * @param labelSet the label set to score against, at its current version
 * @param metadata the event's metadata (a {@link HashMap}, because Flink copies it with Kryo)
 * @param eventTime the event time, epoch milliseconds
 */
public record ResolvedEvent(
        String eventId,
        String sourceTopic,
        byte[] original,
        String imageUri,
        LabelSet labelSet,
        Map<String, String> metadata,
        long eventTime) {

    public ResolvedEvent {
        metadata = metadata == null ? new HashMap<>() : new HashMap<>(metadata);
    }

    /** The inline encoded image, decoded again from {@link #original()}; null when the event has a URI. */
    public byte[] image(Codecs codecs) throws dev.siglipstream.stream.serde.AvroDecodeException {
        if (imageUri != null) {
            return null;
        }
        java.nio.ByteBuffer b = codecs.images().decode(original).getImage().duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
