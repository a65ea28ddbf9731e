package dev.siglipstream.stream.registry;

/**
 * The schema registry answered with an error: {@link #status()} is the HTTP status, {@link
 * #errorCode()} the registry's {@code error_code} (e.g. 40403 schema not found, 409 incompatible,
 * 42201 invalid schema), or -1 when the body had none.
 */
public class SchemaRegistryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final int errorCode;

    public SchemaRegistryException(String message, int status, int errorCode) {
        super(message);
        this.status = status;
        this.errorCode = errorCode;
    }

    SchemaRegistryException(String message, Throwable cause) {
        super(message, cause);
        this.status = -1;
        this.errorCode = -1;
    }

    public int status() {
        return status;
    }

    public int errorCode() {
        return errorCode;
    }

    /** The registry does not know the schema id, subject or version (HTTP 404). */
    public boolean notFound() {
        return status == 404;
    }
}
