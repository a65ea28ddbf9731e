package dev.siglipstream.stream.registry;

import org.apache.avro.Schema;

/**
 * How the subject a schema is registered under is named, as Confluent's serializers name it
 * ({@code value.subject.name.strategy}). The job writes record values only, so the suffix is
 * always {@code -value}.
 */
public enum SubjectNameStrategy {
    /** {@code <topic>-value}: one schema line per topic (Confluent's default). */
    TOPIC_NAME,
    /** {@code <record full name>}: one schema line per record type, whatever the topic. */
    RECORD_NAME,
    /** {@code <topic>-<record full name>}: one line per record type and topic. */
    TOPIC_RECORD_NAME;

    /** The subject of {@code schema}'s values written to {@code topic}. */
    public String subject(String topic, Schema schema) {
        return switch (this) {
            case TOPIC_NAME -> requireTopic(topic) + "-value";
            case RECORD_NAME -> schema.getFullName();
            case TOPIC_RECORD_NAME -> requireTopic(topic) + "-" + schema.getFullName();
        };
    }

    /** Whether the subject depends on the topic. */
    public boolean usesTopic() {
        return this != RECORD_NAME;
    }

    private String requireTopic(String topic) {
        if (topic == null || topic.isEmpty()) {
            throw new IllegalArgumentException(name() + " needs the topic to name the subject");
        }
        return topic;
    }
}
