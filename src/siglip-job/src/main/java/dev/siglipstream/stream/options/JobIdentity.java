package dev.siglipstream.stream.options;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.apache.flink.configuration.Configuration;

/**
 * What makes one deployment of the job a different job from another: its name, its input topics
 * (or pattern), and its output and dead-letter topics. The consumer group id and the sink's
 * transactional id prefix default to a name derived from it, so that two jobs on one Kafka never
 * share a group or fence each other's transactions, while the same job started again with the same
 * flags keeps both (its transactions left open by a crash are then aborted or committed, not
 * orphaned). {@code ./siglip run} also names its local state directory after it.
 *
 * <pre>{@code
 * JobIdentity id = JobIdentity.of(conf);
 * id.groupId(conf);          // siglip.kafka.group-id if set, else e.g. "siglip-stream-images-3f9a2b1c4d"
 * }</pre>
 *
 * @param name the job name ({@link JobOptions#JOB_NAME})
 * @param inputs the input topics in sorted order, or {@code pattern:REGEX}
 * @param outputTopic the default output topic
 * @param deadLetterTopic the dead-letter topic
 */
public record JobIdentity(String name, String inputs, String outputTopic, String deadLetterTopic) {
    private static final int MAX_READABLE = 40;

    /** The identity of the job {@code conf} describes (its input must be set: topics or a pattern). */
    public static JobIdentity of(Configuration conf) {
        List<String> topics = conf.get(JobOptions.INPUT_TOPICS);
        String pattern = conf.get(JobOptions.INPUT_PATTERN);
        String inputs;
        if (topics != null && !topics.isEmpty()) {
            inputs = String.join(",", topics.stream().map(String::trim).sorted().distinct().toList());
        } else if (pattern != null) {
            inputs = "pattern:" + pattern;
        } else if (BackfillOptions.readsFiles(conf)) {
            inputs = "files:" + conf.get(BackfillOptions.INPUT);
        } else {
            throw new IllegalArgumentException("no input: set --input-topic (" + JobOptions.INPUT_TOPICS.key()
                    + ") or --input-pattern (" + JobOptions.INPUT_PATTERN.key() + ")");
        }
        return new JobIdentity(conf.get(JobOptions.JOB_NAME), inputs, conf.get(JobOptions.OUTPUT_TOPIC),
                conf.get(JobOptions.DEAD_LETTER_TOPIC));
    }

    /**
     * The derived name: the job name, the inputs while they are short, and a hash of the whole
     * identity, e.g. {@code siglip-stream-images-3f9a2b1c4d}. Stable across restarts and versions.
     */
    public String derivedId() {
        return readablePrefix() + "-" + hash(name, inputs, outputTopic, deadLetterTopic);
    }

    /** {@link JobOptions#GROUP_ID} if set, else {@link #derivedId()}. */
    public String groupId(Configuration conf) {
        return conf.getOptional(JobOptions.GROUP_ID).orElseGet(this::derivedId);
    }

    /** {@link JobOptions#TRANSACTIONAL_ID_PREFIX} if set, else {@link #derivedId()}. */
    public String transactionalIdPrefix(Configuration conf) {
        return conf.getOptional(JobOptions.TRANSACTIONAL_ID_PREFIX).orElseGet(this::derivedId);
    }

    /**
     * A name for local state of this job on {@code bootstrap}: as {@link #derivedId()}, with the
     * Kafka cluster in the hash (the same topics on another cluster are another job's).
     */
    public String stateKey(String bootstrap) {
        return readablePrefix() + "-" + hash(bootstrap, name, inputs, outputTopic, deadLetterTopic);
    }

    /** One {@code key: value} line per part, for humans (written next to the state). */
    public String describe(String bootstrap) {
        return "bootstrap: " + bootstrap + "\njob-name: " + name + "\ninputs: " + inputs + "\noutput-topic: " + outputTopic
                + "\ndead-letter-topic: " + deadLetterTopic + "\n";
    }

    private String readablePrefix() {
        String readable = inputs.startsWith("pattern:") ? "pattern" : inputs.replace(',', '+');
        if (readable.length() > MAX_READABLE) {
            readable = readable.substring(0, MAX_READABLE);
        }
        return (name + "-" + readable).replaceAll("[^A-Za-z0-9._+-]", "_");
    }

    private static String hash(String... parts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : parts) {
                sha.update(String.valueOf(part).getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0); // "ab"+"c" and "a"+"bc" differ
            }
            return HexFormat.of().formatHex(sha.digest()).substring(0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
