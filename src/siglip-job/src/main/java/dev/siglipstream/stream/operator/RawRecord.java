package dev.siglipstream.stream.operator;

/**
 * One input Kafka record as read, before deserialisation, so a malformed value can still be sent
 * to the dead letters and found again by its coordinates.
 *
 * @param topic the topic it came from
 * @param partition its partition
 * @param offset its offset
 * @param key the record key (the event id), may be null
 * @param value the record value, may be null
 */
public record RawRecord(String topic, int partition, long offset, byte[] key, byte[] value) {
    /** A record whose partition and offset are unknown (tests). */
    public RawRecord(String topic, byte[] key, byte[] value) {
        this(topic, -1, -1L, key, value);
    }

    public Source source() {
        return new Source(topic, partition, offset, key);
    }
}
