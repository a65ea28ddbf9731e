package dev.siglipstream.stream.serde;

/**
 * A Confluent-framed value whose writer schema cannot be used: the registry does not know its id
 * ({@link #unknownId()}), or the writer schema cannot be resolved to the reader's (an incompatible
 * change, or a different record). Both are properties of the record, not of the moment: the
 * record is dead-lettered, never retried.
 */
public final class UnresolvableSchemaException extends AvroDecodeException {
    private static final long serialVersionUID = 1L;

    private final int schemaId;
    private final boolean unknownId;

    UnresolvableSchemaException(String message, int schemaId, boolean unknownId, Throwable cause) {
        super(message, cause);
        this.schemaId = schemaId;
        this.unknownId = unknownId;
    }

    /** The writer schema id from the record's header. */
    public int schemaId() {
        return schemaId;
    }

    /** True when the registry has no schema with this id; false when the schema is incompatible. */
    public boolean unknownId() {
        return unknownId;
    }
}
