package dev.siglipstream.stream.options;

import static org.apache.flink.configuration.ConfigOptions.key;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

/**
 * Settings of a bounded backfill: images from files instead of Kafka, and scored events and dead
 * letters to Avro container files instead of Kafka topics. Either side may stay on Kafka (a bounded
 * Kafka range is {@code siglip.kafka.stopping-offsets}). Run such a job with
 * {@code execution.runtime-mode: BATCH} ({@code ./siglip tag} does).
 */
public final class BackfillOptions {
    /** What {@link #INPUT} holds. */
    public enum InputFormat {
        /** A folder (read recursively, hidden files skipped) is images, one event per file; a file is a listing. */
        AUTO,
        /** Every file under the path is one image, scored from its bytes. */
        IMAGES,
        /** A text file with one image URI or path a line, fetched through the job's URI fetcher and allowlist. */
        LISTING
    }

    public static final ConfigOption<String> INPUT = key("siglip.backfill.input")
            .stringType().noDefaultValue()
            .withDescription("A folder of images, or a text file listing image URIs or paths (one a line; blank lines "
                    + "and lines starting with # skipped; relative paths are relative to the file), read by a bounded "
                    + "FileSource instead of the Kafka input topics. Any Flink file system path (file:, s3:, ...).");
    public static final ConfigOption<InputFormat> INPUT_FORMAT = key("siglip.backfill.input-format")
            .enumType(InputFormat.class).defaultValue(InputFormat.AUTO)
            .withDescription("auto (a folder holds images, a file is a listing), images or listing.");
    public static final ConfigOption<String> OUTPUT_PATH = key("siglip.backfill.output-path")
            .stringType().noDefaultValue()
            .withDescription("A folder for Avro container files instead of the Kafka output topics: scored events in "
                    + OutputFolders.LABELS + "/, dead letters in " + OutputFolders.DEAD_LETTERS + "/ (part-*.avro, "
                    + "committed when the job ends or on checkpoints).");
    public static final ConfigOption<String> PROGRESS_ID = key("siglip.backfill.progress-id")
            .stringType().noDefaultValue()
            .withDescription("Counts outputs into the in-process tally of this id (dev.siglipstream.stream.job.BackfillProgress), for a command "
                    + "that runs the job in its own JVM and shows progress.");

    private BackfillOptions() {}

    /** The sub-folders of {@link #OUTPUT_PATH}. */
    public static final class OutputFolders {
        public static final String LABELS = "labels";
        public static final String DEAD_LETTERS = "dead-letters";

        private OutputFolders() {}
    }

    /** Whether images come from files rather than Kafka. */
    public static boolean readsFiles(Configuration conf) {
        return conf.getOptional(INPUT).filter(s -> !s.isBlank()).isPresent();
    }

    /** Whether outputs go to Avro files rather than Kafka. */
    public static boolean writesFiles(Configuration conf) {
        return conf.getOptional(OUTPUT_PATH).filter(s -> !s.isBlank()).isPresent();
    }

    /** Whether the job's input ends: files, or a Kafka range with stopping offsets. */
    public static boolean bounded(Configuration conf) {
        return readsFiles(conf) || conf.getOptional(JobOptions.STOPPING_OFFSETS).isPresent();
    }
}
