package dev.siglipstream.stream.operator;

import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.events.LabelSetUpdate;
import dev.siglipstream.stream.registry.RegistrySettings;
import dev.siglipstream.stream.serde.AvroCodec;
import dev.siglipstream.stream.serde.WireFormat;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;

/** The job's Avro codecs for one wire format, and the way every operator writes a dead letter. */
public final class Codecs implements Serializable {
    private static final long serialVersionUID = 1L;

    private final AvroCodec<ImageEvent> images;
    private final AvroCodec<LabelScoreEvent> scores;
    private final AvroCodec<DeadLetter> deadLetters;
    private final AvroCodec<LabelSetUpdate> updates;
    private final String deadLetterTopic;

    public Codecs(WireFormat wire, int schemaId, String deadLetterTopic) {
        this(wire, schemaId, deadLetterTopic, null);
    }

    /** With a schema registry (null: the fixed {@code schemaId}), which needs the confluent wire format. */
    public Codecs(WireFormat wire, int schemaId, String deadLetterTopic, RegistrySettings registry) {
        this.images = AvroCodec.create(ImageEvent.class, wire, schemaId, registry);
        this.scores = AvroCodec.create(LabelScoreEvent.class, wire, schemaId, registry);
        this.deadLetters = AvroCodec.create(DeadLetter.class, wire, schemaId, registry);
        this.updates = AvroCodec.create(LabelSetUpdate.class, wire, schemaId, registry);
        this.deadLetterTopic = deadLetterTopic;
    }

    public AvroCodec<ImageEvent> images() {
        return images;
    }

    public AvroCodec<LabelSetUpdate> updates() {
        return updates;
    }

    public AvroCodec<DeadLetter> deadLetters() {
        return deadLetters;
    }

    public AvroCodec<LabelScoreEvent> scores() {
        return scores;
    }

    public String deadLetterTopic() {
        return deadLetterTopic;
    }

    /** An encoded dead letter for the dead-letter topic. */
    public Output deadLetter(String eventId, byte[] original, DeadLetterReason reason, String message, String stage,
            String sourceTopic) {
        DeadLetter dl = DeadLetter.newBuilder()
                .setEventId(eventId)
                .setOriginal(original == null ? null : java.nio.ByteBuffer.wrap(original))
                .setReason(reason)
                .setMessage(message == null ? reason.name() : message)
                .setStage(stage)
                .setSourceTopic(sourceTopic)
                .setTime(java.time.Instant.now())
                .build();
        return new Output(deadLetterTopic, key(eventId), deadLetters.encode(dl, deadLetterTopic), reason.name());
    }

    /** An encoded scored event for {@code topic}. */
    public Output scored(String topic, LabelScoreEvent event) {
        return new Output(topic, key(event.getEventId()), scores.encode(event, topic), null);
    }

    static byte[] key(String eventId) {
        return eventId == null ? null : eventId.getBytes(StandardCharsets.UTF_8);
    }
}
