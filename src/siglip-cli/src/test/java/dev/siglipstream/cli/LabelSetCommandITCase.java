package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.events.LabelSetUpdate;
import dev.siglipstream.stream.serde.AvroCodec;
import dev.siglipstream.testutils.CliRun;
import dev.siglipstream.testutils.KafkaFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code siglip label-set} publishes LabelSetUpdates keyed by set id to a real broker. */
class LabelSetCommandITCase {
    @RegisterExtension static final KafkaFixture KAFKA = new KafkaFixture();
    @TempDir Path tmp;

    @Test
    void publishesUpdatesDeletionsAndFiles() throws Exception {
        KAFKA.createTopic("label-sets", 1);
        CliRun update = CliRun.of("label-set", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "label-sets",
                "--id", "animals", "--version", "2", "--labels", "cat,dog,fox", "--top-k", "2", "--threshold", "0.3",
                "--output-topic", "animal-scores");
        assertThat(update.exitCode()).as(update.err()).isZero();
        assertThat(update.out().strip()).isEqualTo("animals 2");

        CliRun delete = CliRun.of("label-set", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "label-sets",
                "--id", "animals", "--version", "3", "--delete");
        assertThat(delete.out().strip()).isEqualTo("animals 3 deleted");

        Path yaml = tmp.resolve("sets.yaml");
        Files.writeString(yaml, "label-sets:\n  - id: scenes\n    labels: [beach, street]\n    version: 4\n");
        CliRun file = CliRun.of("label-set", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "label-sets", "--file", yaml.toString());
        assertThat(file.out().strip()).isEqualTo("scenes 4");

        List<ConsumerRecord<byte[], byte[]>> records = KAFKA.consume("label-sets", 3, Duration.ofSeconds(30));
        assertThat(records).hasSize(3);
        AvroCodec<LabelSetUpdate> codec = AvroCodec.plain(LabelSetUpdate.class);
        LabelSetUpdate first = codec.decode(records.get(0).value());
        assertThat(new String(records.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("animals");
        assertThat(first.getLabels()).containsExactly("cat", "dog", "fox");
        assertThat(first.getTopK()).isEqualTo(2);
        assertThat(first.getThreshold()).isEqualTo(0.3f);
        assertThat(first.getOutputTopic()).isEqualTo("animal-scores");
        assertThat(first.getDeleted()).isFalse();
        assertThat(codec.decode(records.get(1).value()).getDeleted()).isTrue();
        LabelSetUpdate scenes = codec.decode(records.get(2).value());
        assertThat(scenes.getVersion()).isEqualTo(4L);
        assertThat(scenes.getLabels()).containsExactly("beach", "street");
    }

    @Test
    void anUpdateWithoutLabelsIsRejectedBeforeSending() {
        CliRun run = CliRun.of("label-set", "--bootstrap", "127.0.0.1:1", "--topic", "t", "--id", "x", "--version", "1");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("--labels");
    }
}
