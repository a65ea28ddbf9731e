package dev.siglipstream.stream.registry;

/**
 * The schema registry could not be reached, or answered 5xx/408/429, on every attempt. Nothing is
 * known about the schema, so the record it was needed for must be neither dropped nor dead-lettered:
 * the job lets this fail the task, and Flink restarts it from the last checkpoint.
 */
public final class RegistryUnavailableException extends SchemaRegistryException {
    private static final long serialVersionUID = 1L;

    RegistryUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
