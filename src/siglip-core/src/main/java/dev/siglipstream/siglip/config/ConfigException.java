package dev.siglipstream.siglip.config;

/** A model-folder file that is missing, unreadable or holds a field of the wrong shape; the message names both. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
