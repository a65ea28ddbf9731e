package dev.siglipstream.stream.operator;

/**
 * Where an input record came from, so a dead letter can point at the whole original in Kafka.
 *
 * @param topic the topic; null when unknown
 * @param partition the partition; -1 when unknown
 * @param offset the offset in that partition; -1 when unknown
 * @param key the record key as received; null when it had none
 */
public record Source(String topic, int partition, long offset, byte[] key) implements java.io.Serializable {
    /** A source known by its topic alone. */
    public static Source topic(String topic) {
        return new Source(topic, -1, -1L, null);
    }
}
