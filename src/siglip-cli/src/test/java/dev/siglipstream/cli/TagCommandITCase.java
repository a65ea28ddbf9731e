package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.LabelScore;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.testutils.CliRun;
import dev.siglipstream.testutils.Conformance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code siglip tag} end to end, in-process: a folder and a listing to Avro files, the summary, the help. */
class TagCommandITCase {
    static final Pattern SUMMARY = Pattern.compile(
            "tagged (\\d+) images: (\\d+) scored, (\\d+) dead letters?(?: \\(([^)]*)\\))? in [0-9.]+ s, [0-9.]+ images/s");
    static final List<String> IMAGES = List.of("photo_q90_420.jpg", "palette.png", "grayscale.png", "progressive.jpg");

    @TempDir Path dir;

    private Path folder() throws IOException {
        Path images = Files.createDirectories(dir.resolve("photos"));
        for (String name : IMAGES) {
            Files.copy(Conformance.root().resolve("images").resolve(name), images.resolve(name));
        }
        Files.writeString(images.resolve("README.txt"), "these are photos\n");
        return images;
    }

    @Test
    void aFolderBecomesOneAvroFileOfScoredEventsAndOneOfDeadLettersWithASummary() throws Exception {
        Path photos = folder();
        Path out = dir.resolve("results/photos.avro");
        CliRun run = CliRun.of("tag", photos.toString(), "--model", Conformance.tinyModel().toString(),
                "--labels", "a cat,a dog,a chart", "--out", out.toString(), "--progress", "never");
        assertThat(run.exitCode()).as(run.err()).isZero();

        Matcher m = SUMMARY.matcher(run.out());
        assertThat(m.find()).as(run.out()).isTrue();
        assertThat(m.group(1)).isEqualTo("5");
        assertThat(m.group(2)).isEqualTo("4");
        assertThat(m.group(3)).isEqualTo("1");
        assertThat(m.group(4)).isEqualTo("UNDECODABLE_IMAGE 1");

        List<LabelScoreEvent> scored = read(out, LabelScoreEvent.class);
        assertThat(scored).extracting(LabelScoreEvent::getEventId)
                .containsExactlyInAnyOrderElementsOf(IMAGES.stream().map(n -> photos.resolve(n).toString()).toList());
        assertThat(scored).allSatisfy(e -> {
            assertThat(e.getLabelSetId()).isEqualTo("labels");
            assertThat(e.getScores()).extracting(LabelScore::getLabel).containsExactlyInAnyOrder("a cat", "a dog", "a chart");
        });
        List<DeadLetter> dead = read(dir.resolve("results/photos.dead-letters.avro"), DeadLetter.class);
        assertThat(dead).extracting(DeadLetter::getEventId).containsExactly(photos.resolve("README.txt").toString());
        assertThat(dead.get(0).getReason()).isEqualTo(DeadLetterReason.UNDECODABLE_IMAGE);
        try (var files = Files.list(dir.resolve("results"))) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("the job's part files are cleaned up").containsExactlyInAnyOrder("photos.avro", "photos.dead-letters.avro");
        }
    }

    @Test
    void aListingIsFetchedUnderTheAllowlistAndWhatIsNotAllowedIsADeadLetter() throws Exception {
        Path photos = folder();
        Path listing = Files.writeString(dir.resolve("listing.txt"), "# two images, by relative and absolute path\n"
                + "photos/" + IMAGES.get(0) + "\n\n" + photos.resolve(IMAGES.get(1)) + "\n/etc/hostname\n");
        Path out = dir.resolve("listing.avro");
        CliRun run = CliRun.of("tag", listing.toString(), "--model", Conformance.tinyModel().toString(),
                "--labels", "a cat,a dog", "--out", out.toString(), "--uri-allowlist", photos.toUri().toString(),
                "--progress", "never");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("tagged 3 images: 2 scored, 1 dead letter (URI_NOT_ALLOWED 1)");
        assertThat(read(out, LabelScoreEvent.class)).extracting(LabelScoreEvent::getEventId)
                .containsExactlyInAnyOrder("photos/" + IMAGES.get(0), photos.resolve(IMAGES.get(1)).toString());
        assertThat(read(dir.resolve("listing.dead-letters.avro"), DeadLetter.class)).extracting(DeadLetter::getEventId)
                .containsExactly("/etc/hostname");
    }

    @Test
    void labelsAreRequiredAndKafkaOutputNeedsKafkaDeadLetters() throws Exception {
        Path photos = folder();
        CliRun none = CliRun.of("tag", photos.toString(), "--model", "m", "--out", dir.resolve("x.avro").toString());
        assertThat(none.exitCode()).isEqualTo(1);
        assertThat(none.err()).contains("give candidate labels with --labels a,b,c or --label-sets FILE");
        CliRun mixed = CliRun.of("tag", photos.toString(), "--model", "m", "--labels", "a", "--out", "kafka:t",
                "--dead-letters", dir.resolve("d.avro").toString());
        assertThat(mixed.exitCode()).isEqualTo(1);
        assertThat(mixed.err()).contains("--dead-letters: with a Kafka --out, give kafka:TOPIC");
    }

    @Test
    void helpNamesInputsOutputsAndTheBoundedKafkaRange() {
        CliRun help = CliRun.of("tag", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).startsWith("Usage: siglip tag").contains("INPUT", "--labels", "--label-sets",
                "--out=FILE.avro|kafka:TOPIC", "--dead-letters", "--progress", "--starting-offsets", "--stopping-offsets",
                "kafka:TOPIC", "images/s");
    }

    static <T> List<T> read(Path file, Class<T> type) throws IOException {
        List<T> out = new ArrayList<>();
        try (DataFileReader<T> reader = new DataFileReader<>(file.toFile(), new SpecificDatumReader<>(type))) {
            reader.forEach(out::add);
        }
        return out;
    }
}
