package dev.siglipstream.stream.serde;

/** How an Avro record is framed in a Kafka record value. */
public enum WireFormat {
    /** Plain Avro binary, no header; the default. Both sides know the schema. */
    PLAIN,
    /**
     * Confluent Schema Registry framing: magic byte {@code 0}, the schema id as a 4-byte big-endian
     * int, then the Avro binary.
     */
    CONFLUENT
}
