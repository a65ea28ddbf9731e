package dev.siglipstream.stream.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.LabelScore;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.siglip.onnx.OnnxOptions;
import dev.siglipstream.siglip.onnx.SiglipModel;
import dev.siglipstream.siglip.pipeline.ZeroShotImageClassifier;
import dev.siglipstream.stream.options.BackfillOptions;
import dev.siglipstream.stream.options.JobOptions;
import dev.siglipstream.testutils.Conformance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded backfill in batch mode over a folder of files (the conformance images plus one text
 * file) written to Avro container files: the job ends by itself, every image has exactly one
 * LabelScoreEvent with the library's own zero-shot scores, and the text file is a dead letter.
 */
class BackfillITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    static final List<String> LABELS = List.of("a photo of a cat", "a diagram", "a landscape");

    @TempDir Path dir;

    /** The settings of a folder → Avro files backfill; no Kafka at all. */
    static Configuration conf(Path input, Path output, Path labelSets) {
        Configuration c = new Configuration();
        c.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.BATCH);
        c.set(BackfillOptions.INPUT, input.toString());
        c.set(BackfillOptions.OUTPUT_PATH, output.toString());
        c.set(JobOptions.MODEL, SiglipStreamJobITCase.MODEL);
        c.set(JobOptions.LABEL_SETS_FILE, labelSets.toString());
        c.set(JobOptions.DEFAULT_LABEL_SET, "tags");
        c.set(JobOptions.PARALLELISM, 2);
        c.set(JobOptions.MAX_BATCH_SIZE, 8);
        c.set(JobOptions.MAX_BATCH_DELAY, Duration.ofMillis(5));
        c.set(JobOptions.ASYNC_TIMEOUT, Duration.ofSeconds(120));
        c.setString("restart-strategy.type", "none");
        return c;
    }

    static JobStatus run(Configuration conf) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(conf);
        SiglipStreamJob.build(env, conf, SiglipStreamJobITCase.LOADER);
        JobClient job = env.executeAsync("backfill");
        job.getJobExecutionResult().get(); // returns only when the job ended by itself
        return job.getJobStatus().get();
    }

    @Test
    void aFolderOfImagesEndsWithTheLibrarysScoresAndADeadLetterForTheTextFile() throws Exception {
        Path images = dir.resolve("images");
        Files.createDirectories(images.resolve("nested"));
        List<Path> expected = new ArrayList<>();
        try (Stream<Path> files = Files.list(Conformance.root().resolve("images"))) {
            for (Path f : files.sorted().toList()) {
                // One image in a sub-folder: folders are read recursively.
                Path to = (f.getFileName().toString().startsWith("palette") ? images.resolve("nested") : images)
                        .resolve(f.getFileName());
                Files.copy(f, to);
                expected.add(to);
            }
        }
        Path notes = Files.writeString(images.resolve("notes.txt"), "not an image\n");
        Files.writeString(images.resolve(".hidden.jpg"), "skipped: hidden files are not read");
        Path sets = JobHarness.labelSetFile(dir, "label-sets:\n  - id: tags\n    labels: [" + String.join(", ", LABELS) + "]\n");
        Path out = dir.resolve("out");

        assertThat(run(conf(images, out, sets))).isEqualTo(JobStatus.FINISHED);

        List<LabelScoreEvent> scored = read(out.resolve(BackfillOptions.OutputFolders.LABELS), LabelScoreEvent.class);
        List<DeadLetter> dead = read(out.resolve(BackfillOptions.OutputFolders.DEAD_LETTERS), DeadLetter.class);
        assertThat(dead).extracting(DeadLetter::getEventId).containsExactly(notes.toString());
        assertThat(dead.get(0).getReason()).isEqualTo(DeadLetterReason.UNDECODABLE_IMAGE);
        assertThat(scored).extracting(LabelScoreEvent::getEventId)
                .containsExactlyInAnyOrderElementsOf(expected.stream().map(Path::toString).toList());

        try (SiglipModel model = SiglipModel.load(Conformance.tinyModel(), OnnxOptions.defaults())) {
            ZeroShotImageClassifier library = new ZeroShotImageClassifier(model);
            for (LabelScoreEvent e : scored) {
                List<dev.siglipstream.siglip.scoring.LabelScore> want = library.classify(
                        List.of(Files.readAllBytes(Path.of(e.getEventId()))), LABELS,
                        new ZeroShotImageClassifier.Options(ZeroShotImageClassifier.DEFAULT_TEMPLATE, null, null)).get(0);
                Map<String, Float> got = new HashMap<>();
                for (LabelScore s : e.getScores()) got.put(s.getLabel(), s.getScore());
                assertThat(got).as(e.getEventId()).hasSize(LABELS.size());
                for (dev.siglipstream.siglip.scoring.LabelScore w : want) {
                    assertThat(got.get(w.label())).as("%s / %s", e.getEventId(), w.label()).isCloseTo(w.score(), within(1e-5f));
                }
                assertThat(e.getLabelSetId()).isEqualTo("tags");
            }
        }
    }

    /** Every record of every part file under {@code folder}, read with Avro's DataFileReader. */
    static <T> List<T> read(Path folder, Class<T> type) throws IOException {
        List<T> out = new ArrayList<>();
        try (Stream<Path> parts = Files.walk(folder)) {
            for (Path part : parts.filter(p -> p.getFileName().toString().endsWith(".avro")).toList()) {
                try (DataFileReader<T> reader = new DataFileReader<>(part.toFile(), new SpecificDatumReader<>(type))) {
                    reader.forEach(out::add);
                }
            }
        }
        return out;
    }
}
