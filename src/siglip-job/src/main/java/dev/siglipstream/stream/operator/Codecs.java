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
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.nio.charset.StandardCharsets;

/**
 * The job's Avro codecs for one wire format, and the way every operator writes a dead letter: the
 * failure, where the input came from (topic, partition, offset, key) so the whole original can be
 * re-read from Kafka, the original's size and SHA-256, and at most {@link #excerptBytes()} of it.
 * Every field of a dead letter is bounded, so a dead letter always fits the sink's record size (the
 * job checks {@link #maxDeadLetterBytes()} against it at start).
 */
public final class Codecs implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Default of the dead-letter excerpt: the first 64 KiB of the original. */
    public static final int DEFAULT_EXCERPT_BYTES = 64 * 1024;
    /** Longest message and event id kept in a dead letter (longer ones are cut and marked). */
    static final int MAX_MESSAGE_CHARS = 2000;
    static final int MAX_ID_CHARS = 1000;
    /** Longest source key kept in a dead letter. */
    static final int MAX_KEY_BYTES = 1024;
    /**
     * Most bytes a dead letter takes besides its excerpt: message, id and record key (three UTF-8
     * bytes per char at most), source key, topic, hash, stage, headers and Kafka's record overhead.
     */
    public static final int DEAD_LETTER_OVERHEAD_BYTES = 16 * 1024;

    private final AvroCodec<ImageEvent> images;
    private final AvroCodec<LabelScoreEvent> scores;
    private final AvroCodec<DeadLetter> deadLetters;
    private final AvroCodec<LabelSetUpdate> updates;
    private final String deadLetterTopic;
    private final int excerptBytes;

    public Codecs(WireFormat wire, int schemaId, String deadLetterTopic) {
        this(wire, schemaId, deadLetterTopic, DEFAULT_EXCERPT_BYTES);
    }

    /** @param excerptBytes the most bytes of the original a dead letter carries (0: none) */
    public Codecs(WireFormat wire, int schemaId, String deadLetterTopic, int excerptBytes) {
        this(wire, schemaId, deadLetterTopic, excerptBytes, null);
    }

    /**
     * With a schema registry (null: the fixed {@code schemaId}), which needs the confluent wire format.
     *
     * @param excerptBytes the most bytes of the original a dead letter carries (0: none)
     */
    public Codecs(WireFormat wire, int schemaId, String deadLetterTopic, int excerptBytes, RegistrySettings registry) {
        if (excerptBytes < 0) {
            throw new IllegalArgumentException("the dead-letter excerpt must be >= 0 bytes, got " + excerptBytes);
        }
        this.images = AvroCodec.create(ImageEvent.class, wire, schemaId, registry);
        this.scores = AvroCodec.create(LabelScoreEvent.class, wire, schemaId, registry);
        this.deadLetters = AvroCodec.create(DeadLetter.class, wire, schemaId, registry);
        this.updates = AvroCodec.create(LabelSetUpdate.class, wire, schemaId, registry);
        this.deadLetterTopic = deadLetterTopic;
        this.excerptBytes = excerptBytes;
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

    public int excerptBytes() {
        return excerptBytes;
    }

    /** The largest dead letter this job writes, in bytes as the Kafka producer counts them. */
    public long maxDeadLetterBytes() {
        return (long) excerptBytes + DEAD_LETTER_OVERHEAD_BYTES;
    }

    /** A dead letter for an event the scoring operator could not score. */
    public Output deadLetter(ResolvedEvent event, DeadLetterReason reason, String message, String stage) {
        return deadLetter(event.eventId(), event.source(), event.original(), reason, message, stage);
    }

    /** A dead letter for an input record refused before it was resolved. */
    public Output deadLetter(RawRecord raw, String eventId, DeadLetterReason reason, String message, String stage) {
        return deadLetter(eventId, raw.source(), raw.value(), reason, message, stage);
    }

    /**
     * An encoded dead letter for the dead-letter topic, every field bounded.
     *
     * @param source where the input came from; null when unknown
     * @param original the whole input record value; only its first {@link #excerptBytes()} are kept
     */
    public Output deadLetter(String eventId, Source source, byte[] original, DeadLetterReason reason, String message,
            String stage) {
        String id = cut(eventId, MAX_ID_CHARS);
        DeadLetter.Builder dl = DeadLetter.newBuilder()
                .setEventId(id)
                .setReason(reason)
                .setMessage(message == null ? reason.name() : cut(message, MAX_MESSAGE_CHARS))
                .setStage(stage)
                .setTime(java.time.Instant.now());
        if (original != null) {
            dl.setOriginal(ByteBuffer.wrap(original, 0, Math.min(original.length, excerptBytes)).slice())
                    .setOriginalSize((long) original.length)
                    .setOriginalSha256(sha256(original));
        }
        if (source != null) {
            dl.setSourceTopic(source.topic())
                    .setSourcePartition(source.partition() < 0 ? null : source.partition())
                    .setSourceOffset(source.offset() < 0 ? null : source.offset())
                    .setSourceKey(source.key() == null ? null
                            : ByteBuffer.wrap(source.key(), 0, Math.min(source.key().length, MAX_KEY_BYTES)).slice());
        }
        return new Output(deadLetterTopic, key(id), deadLetters.encode(dl.build(), deadLetterTopic), reason.name(), stage, source);
    }

    /**
     * The dead letter that replaces an output the sink cannot write ({@code size} bytes, over its
     * {@code limit}): it names the input by its source, which is where the whole original is.
     */
    public Output outputTooLarge(Output refused, int size, int limit) {
        String eventId = refused.key() == null ? null : new String(refused.key(), StandardCharsets.UTF_8);
        return deadLetter(eventId, refused.source(), null, DeadLetterReason.OUTPUT_TOO_LARGE,
                (refused.isDeadLetter() ? "the " + refused.deadLetterReason() + " dead letter" : "the scored event")
                        + " for topic " + refused.topic() + " is " + size + " bytes serialized, over the sink's max.request.size of "
                        + limit + " bytes (the event's id, metadata or labels are too large)", "sink");
    }

    /**
     * The INVALID_LABEL_SET dead letter of a refused control-topic record, keyed like it (by the set's
     * id); it has no event id.
     */
    public Output refusedUpdate(RawRecord control, String message) {
        Output dl = deadLetter(control, null, DeadLetterReason.INVALID_LABEL_SET, message, "control");
        byte[] key = control.key() == null ? null : Arrays.copyOf(control.key(), Math.min(control.key().length, MAX_KEY_BYTES));
        return new Output(dl.topic(), key, dl.value(), dl.deadLetterReason(), dl.stage(), dl.source());
    }

    /** An encoded scored event for {@code topic}. */
    public Output scored(String topic, LabelScoreEvent event, Source source) {
        return new Output(topic, key(event.getEventId()), scores.encode(event, topic), null, null, source);
    }

    static byte[] key(String eventId) {
        return eventId == null ? null : eventId.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code s} cut to {@code max} chars, marked with its full length (never splitting a surrogate pair). */
    static String cut(String s, int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        int end = max;
        if (Character.isHighSurrogate(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end) + "... (" + s.length() + " chars)";
    }

    static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
