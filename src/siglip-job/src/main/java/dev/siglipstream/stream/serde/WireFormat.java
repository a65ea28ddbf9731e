package dev.siglipstream.stream.serde;

/** How an Avro record is framed in a Kafka record value. */
public enum WireFormat {
    /** Plain Avro binary, no header; the default. Both sides know the schema. */
    PLAIN,
    /**
     * Confluent Schema Registry framing: magic byte {@code 0}, the schema id as a 4-byte big-endian
     * int, then the Avro binary.
     */
    CONFLUENT;

    /**
     * The Confluent schema id the job and every CLI command ({@code produce}, {@code consume},
     * {@code label-set}) write and expect unless told otherwise: 1, the first id a schema registry
     * assigns (it never assigns 0). One constant, so the project's own producer and the job agree.
     */
    public static final int DEFAULT_SCHEMA_ID = 1;
}
