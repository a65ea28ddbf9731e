package dev.siglipstream.stream.operator;

import dev.siglipstream.stream.labels.LabelSet;
import java.util.HashMap;
import java.util.Map;

/**
 * An image event whose label set is known: what the async scoring operator needs, as a plain
 * Flink POJO (the Avro record is not carried across the network). An event the resolver already
 * refused is carried as its {@code deadLetter} alone ({@link #rejected}), so dead letters take the
 * same chain to the sink as scores, with no union and no network hop between the operators.
 *
 * @param eventId the event id
 * @param source where the input record came from (topic, partition, offset, key)
 * @param original the input record value: for dead letters, and the inline image is read from it
 *     again where it is needed (so in-flight checkpoints hold each image once)
 * @param imageUri the image URI to fetch, or null
 * @param labelSet the label set to score against, at its current version
 * @param metadata the event's metadata (a {@link HashMap}, because Flink copies it with Kryo)
 * @param eventTime the event time, epoch milliseconds
 * @param deadLetter the encoded dead letter of an event the resolver refused; null otherwise
 */
public record ResolvedEvent(
        String eventId,
        Source source,
        byte[] original,
        String imageUri,
        LabelSet labelSet,
        Map<String, String> metadata,
        long eventTime,
        Output deadLetter) {

    public ResolvedEvent {
        metadata = metadata == null ? new HashMap<>() : new HashMap<>(metadata);
    }

    /** An event the resolver refused: the async operator passes its dead letter straight on. */
    public static ResolvedEvent rejected(Output deadLetter) {
        return new ResolvedEvent(null, null, null, null, null, null, 0L, java.util.Objects.requireNonNull(deadLetter));
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
