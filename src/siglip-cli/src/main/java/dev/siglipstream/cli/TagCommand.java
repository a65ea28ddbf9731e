package dev.siglipstream.cli;

import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.siglip.pipeline.ZeroShotImageClassifier;
import dev.siglipstream.stream.job.BackfillProgress;
import dev.siglipstream.stream.job.Models;
import dev.siglipstream.stream.job.SiglipStreamJob;
import dev.siglipstream.stream.options.BackfillOptions;
import dev.siglipstream.stream.options.JobArguments;
import dev.siglipstream.stream.options.JobOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code siglip tag}: a bounded backfill on a local Flink in batch mode: the job's own scoring path
 * over a folder of images, a listing of image URIs or paths, or a Kafka range, to an Avro file or a
 * Kafka topic; it ends when the input does, with a summary.
 *
 * <pre>{@code
 * ./siglip tag photos/ --model Xenova/siglip-base-patch16-224 --labels cat,dog,car --out photos.avro
 * ./siglip tag kafka:images --bootstrap localhost:9092 --stopping-offsets latest \
 *     --label-sets examples/label-sets.yaml --default-label-set scenes --out kafka:image-labels-backfill
 * }</pre>
 */
@Command(
        name = "tag",
        mixinStandardHelpOptions = true,
        customSynopsis = {"siglip tag INPUT --model M --out FILE.avro|kafka:TOPIC",
            "         (--labels a,b,c [--template T]",
            "          | --label-sets FILE [--default-label-set ID])",
            "         [--dead-letters FILE.avro|kafka:TOPIC] [--progress WHEN]",
            "         [any option of 'siglip run', listed below]"},
        sortOptions = false,
        description = {
            "Tags an existing collection with the job's scoring path and ends: a folder of images (recursively; "
                    + "hidden files skipped), a text file listing image URIs or paths (one a line, fetched under "
                    + "--uri-allowlist), or a Kafka range (kafka:TOPIC, --starting-offsets earliest and "
                    + "--stopping-offsets latest by default).",
            "Writes one LabelScoreEvent per image, or a DeadLetter with its reason (a file that is not an image, a "
                    + "refused URI), to Avro container files (--out FILE.avro) or Kafka (--out kafka:TOPIC), then "
                    + "prints a summary: images scored, dead letters by reason, images/s.",
            "Runs Flink in batch mode in this JVM; every flag of 'siglip run' applies (batching, model, -D ...)."
        })
final class TagCommand implements Callable<Integer> {
    static final String KAFKA = "kafka:";
    /** The label-set id of --labels. */
    static final String LABELS_SET_ID = "labels";
    static final String SHUFFLE_COMPRESSION = "taskmanager.network.compression.codec";

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "INPUT",
            description = "A folder of images, a listing file (one image URI or path a line), or kafka:TOPIC[,TOPIC...].")
    String input;

    @Option(names = "--labels", split = ",", paramLabel = "a,b,c",
            description = "Candidate labels, comma-separated (instead of --label-sets).")
    List<String> labels;

    @Option(names = "--template", paramLabel = "T",
            description = "Hypothesis template of --labels; {} is the label. Default: \"" + ZeroShotImageClassifier.DEFAULT_TEMPLATE + "\".")
    String template;

    @Option(names = "--out", required = true, paramLabel = "FILE.avro|kafka:TOPIC",
            description = "Where the LabelScoreEvents go: an Avro container file, or a Kafka topic.")
    String out;

    @Option(names = "--dead-letters", paramLabel = "FILE.avro|kafka:TOPIC",
            description = "Where the DeadLetters go. Default: FILE.dead-letters.avro beside an Avro --out; "
                    + "--dead-letter-topic (image-dead-letters) with a Kafka --out.")
    String deadLetters;

    @Mixin Progress.Options progress;

    @Mixin JobArguments arguments;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Configuration conf = arguments.toConfiguration();
        conf.set(CoreOptions.DEFAULT_PARALLELISM, conf.get(CoreOptions.DEFAULT_PARALLELISM, 1));
        conf.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.BATCH);
        if (!conf.containsKey("restart-strategy.type")) {
            conf.setString("restart-strategy.type", "none"); // a failure ends the run with its error
        }
        if (!conf.containsKey(SHUFFLE_COMPRESSION)) {
            // One JVM: nothing to gain from compressing the batch exchanges.
            conf.setString(SHUFFLE_COMPRESSION, "NONE");
        }
        long total = input(conf);
        Path tmp = labels(conf);
        Path avroOut = null;
        Path avroDead = null;
        Path parts = null;
        if (out.startsWith(KAFKA)) {
            conf.set(JobOptions.OUTPUT_TOPIC, topic(out, "--out"));
            if (deadLetters != null) {
                if (!deadLetters.startsWith(KAFKA)) {
                    throw new IllegalArgumentException("--dead-letters: with a Kafka --out, give kafka:TOPIC, got '" + deadLetters + "'");
                }
                conf.set(JobOptions.DEAD_LETTER_TOPIC, topic(deadLetters, "--dead-letters"));
            }
        } else {
            if (deadLetters != null && deadLetters.startsWith(KAFKA)) {
                throw new IllegalArgumentException("--dead-letters: with an Avro --out, give a file, got '" + deadLetters + "'");
            }
            avroOut = Path.of(out).toAbsolutePath();
            String name = avroOut.getFileName().toString();
            avroDead = deadLetters != null ? Path.of(deadLetters).toAbsolutePath()
                    : avroOut.resolveSibling((name.endsWith(".avro") ? name.substring(0, name.length() - 5) : name)
                            + ".dead-letters.avro");
            Files.createDirectories(avroOut.getParent());
            parts = Files.createTempDirectory(avroOut.getParent(), "." + name + ".parts-");
            conf.set(BackfillOptions.OUTPUT_PATH, parts.toString());
        }
        try {
            SiglipStreamJob.validate(conf);
            return run(conf, total, avroOut, avroDead, parts, err);
        } finally {
            if (tmp != null) Files.deleteIfExists(tmp);
            if (parts != null) deleteTree(parts);
        }
    }

    private int run(Configuration conf, long total, Path avroOut, Path avroDead, Path parts, PrintWriter err) throws Exception {
        try (BackfillProgress.Tally tally = BackfillProgress.open()) {
            conf.set(BackfillOptions.PROGRESS_ID, tally.id());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            SiglipStreamJob.build(env, conf, Models.defaultLoader(conf));
            long start = System.nanoTime();
            JobClient job = env.executeAsync(conf.get(JobOptions.JOB_NAME) + "-tag");
            CompletableFuture<JobExecutionResult> result = job.getJobExecutionResult();
            try (Progress.Bar bar = progress.progress().steps("tag", total > Integer.MAX_VALUE ? -1 : (int) total)) {
                while (!result.isDone()) {
                    bar.stepTo(tally.outputs());
                    bar.message(tally.scored() + " scored, " + (tally.outputs() - tally.scored()) + " dead letters");
                    try {
                        result.get(250, TimeUnit.MILLISECONDS);
                    } catch (java.util.concurrent.TimeoutException stillRunning) {
                        // draw again
                    } catch (java.util.concurrent.ExecutionException failed) {
                        break; // reported below
                    }
                }
                bar.stepTo(tally.outputs());
            }
            try {
                result.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("the backfill failed: " + rootCause(e), e);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long scoredFile = -1;
            long deadFile = -1;
            if (avroOut != null) {
                scoredFile = merge(parts.resolve(BackfillOptions.OutputFolders.LABELS), LabelScoreEvent.getClassSchema(), avroOut);
                deadFile = merge(parts.resolve(BackfillOptions.OutputFolders.DEAD_LETTERS), DeadLetter.getClassSchema(), avroDead);
            }
            PrintWriter o = spec.commandLine().getOut();
            o.println(summary(tally.scored(), tally.deadLetters(), seconds));
            o.println(avroOut != null
                    ? "scored events: " + avroOut + " (" + scoredFile + "), dead letters: " + avroDead + " (" + deadFile + ")"
                    : "scored events: " + KAFKA + conf.get(JobOptions.OUTPUT_TOPIC) + ", dead letters: " + KAFKA
                            + conf.get(JobOptions.DEAD_LETTER_TOPIC));
            o.flush();
            return 0;
        }
    }

    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getMessage() != null ? t.getClass().getSimpleName() + ": " + t.getMessage() : t.toString();
    }

    /** e.g. {@code tagged 12 images: 11 scored, 1 dead letter (UNDECODABLE_IMAGE 1) in 4.2 s, 2.9 images/s}. */
    static String summary(long scored, Map<String, Long> dead, double seconds) {
        long deadTotal = dead.values().stream().mapToLong(Long::longValue).sum();
        long all = scored + deadTotal;
        List<String> reasons = new ArrayList<>();
        dead.forEach((reason, n) -> reasons.add(reason + " " + n));
        return String.format(Locale.ROOT, "tagged %d image%s: %d scored, %d dead letter%s%s in %.1f s, %.1f images/s",
                all, all == 1 ? "" : "s", scored, deadTotal, deadTotal == 1 ? "" : "s",
                reasons.isEmpty() ? "" : " (" + String.join(", ", reasons) + ")", seconds, seconds > 0 ? all / seconds : 0.0);
    }

    /** Sets the input from INPUT; returns how many images it holds (-1 when not known beforehand). */
    private long input(Configuration conf) throws IOException {
        if (input.startsWith(KAFKA)) {
            List<String> topics = new ArrayList<>();
            for (String t : topic(input, "INPUT").split(",")) {
                if (!t.isBlank()) topics.add(t.trim());
            }
            conf.set(JobOptions.INPUT_TOPICS, topics);
            if (!conf.contains(JobOptions.STARTING_OFFSETS)) {
                conf.set(JobOptions.STARTING_OFFSETS, JobOptions.StartingOffsets.EARLIEST);
            }
            if (!conf.contains(JobOptions.STOPPING_OFFSETS)) {
                conf.set(JobOptions.STOPPING_OFFSETS, "latest");
            }
            return -1;
        }
        if (input.contains("://")) {
            conf.set(BackfillOptions.INPUT, input); // another file system: not counted beforehand
            return -1;
        }
        Path path = Path.of(input).toAbsolutePath();
        if (!Files.exists(path)) {
            throw new IllegalArgumentException("INPUT: " + input + " does not exist");
        }
        conf.set(BackfillOptions.INPUT, path.toString());
        if (Files.isDirectory(path)) {
            try (Stream<Path> files = Files.walk(path)) {
                // As the FileSource reads them: regular files, none under a name starting with '.' or '_'.
                return files.filter(Files::isRegularFile).filter(f -> visible(path.relativize(f))).count();
            }
        }
        try (Stream<String> lines = Files.lines(path)) {
            return lines.map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).count();
        }
    }

    private static boolean visible(Path relative) {
        for (Path name : relative) {
            if (name.toString().startsWith(".") || name.toString().startsWith("_")) return false;
        }
        return true;
    }

    /** With --labels, a one-set label-set file (deleted after the run) as the default set; null otherwise. */
    private Path labels(Configuration conf) throws IOException {
        if (labels == null) {
            if (template != null) throw new IllegalArgumentException("--template applies to --labels; a label-set file has its own");
            if (!conf.contains(JobOptions.LABEL_SETS_FILE)) {
                throw new IllegalArgumentException("give candidate labels with --labels a,b,c or --label-sets FILE");
            }
            return null;
        }
        if (conf.contains(JobOptions.LABEL_SETS_FILE)) {
            throw new IllegalArgumentException("give either --labels or --label-sets, not both");
        }
        StringBuilder yaml = new StringBuilder("label-sets:\n  - id: " + LABELS_SET_ID + "\n    labels:\n");
        for (String l : labels) yaml.append("      - ").append(Json.write(l.strip())).append('\n');
        if (template != null) yaml.append("    template: ").append(Json.write(template)).append('\n');
        Path file = Files.createTempFile("siglip-tag-labels", ".yaml");
        Files.writeString(file, yaml);
        conf.set(JobOptions.LABEL_SETS_FILE, file.toString());
        conf.set(JobOptions.DEFAULT_LABEL_SET, LABELS_SET_ID);
        return file;
    }

    private static String topic(String value, String flag) {
        String t = value.substring(KAFKA.length()).strip();
        if (t.isEmpty()) throw new IllegalArgumentException(flag + ": expected kafka:TOPIC, got '" + value + "'");
        return t;
    }

    /** Concatenates the committed part files under {@code folder} into one Avro file; returns its record count. */
    static long merge(Path folder, Schema schema, Path target) throws IOException {
        List<Path> parts = new ArrayList<>();
        if (Files.isDirectory(folder)) {
            try (Stream<Path> s = Files.walk(folder)) {
                s.filter(p -> p.getFileName().toString().startsWith("part") && Files.isRegularFile(p)).sorted().forEach(parts::add);
            }
        }
        long count = 0;
        try (DataFileWriter<Object> writer = new DataFileWriter<>(new GenericDatumWriter<>(schema))) {
            writer.create(schema, target.toFile());
            for (Path part : parts) {
                try (InputStream in = Files.newInputStream(part);
                        DataFileStream<Object> reader = new DataFileStream<>(in, new GenericDatumReader<>())) {
                    while (reader.hasNext()) {
                        writer.append(reader.next());
                        count++;
                    }
                }
            }
        }
        return count;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
