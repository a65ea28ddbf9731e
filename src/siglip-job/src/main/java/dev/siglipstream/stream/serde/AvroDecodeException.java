package dev.siglipstream.stream.serde;

/** A Kafka record value that is not a valid encoding of the expected Avro record. */
public class AvroDecodeException extends Exception {
    private static final long serialVersionUID = 1L;

    AvroDecodeException(String message, Throwable cause) {
        super(message, cause);
    }

    AvroDecodeException(String message) {
        super(message);
    }
}
