package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.stream.serde.AvroCodec;
import dev.siglipstream.testutils.CliRun;
import dev.siglipstream.testutils.Conformance;
import dev.siglipstream.testutils.KafkaFixture;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code siglip tag kafka:TOPIC … --out kafka:TOPIC}: a Kafka range (earliest to latest by default) to topics, and it ends. */
class TagKafkaRangeITCase {
    @RegisterExtension
    static final KafkaFixture KAFKA = new KafkaFixture();

    @Test
    void aKafkaRangeIsTaggedIntoATopicOnceAndTheCommandEnds() throws Exception {
        for (String t : List.of("tag-images", "tag-labels", "tag-dead")) KAFKA.createTopic(t, 2);
        AvroCodec<ImageEvent> images = AvroCodec.plain(ImageEvent.class);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        List<String> names = List.of("palette", "grayscale", "photo_q90_420", "progressive");
        for (String name : names) {
            ImageEvent e = ImageEvent.newBuilder().setId(name).setImage(ByteBuffer.wrap(Files.readAllBytes(Conformance.image(name))))
                    .setMetadata(Map.of()).setEventTime(Instant.now()).build();
            records.add(new ProducerRecord<>("tag-images", name.getBytes(StandardCharsets.UTF_8), images.encode(e)));
        }
        records.add(new ProducerRecord<>("tag-images", "junk".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3}));
        KAFKA.produce(records, false);

        CliRun run = CliRun.of("tag", "kafka:tag-images", "--bootstrap", KAFKA.bootstrapServers(),
                "--model", Conformance.tinyModel().toString(), "--labels", "a cat,a dog",
                "--out", "kafka:tag-labels", "--dead-letters", "kafka:tag-dead", "--progress", "never");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("tagged 5 images: 4 scored, 1 dead letter (MALFORMED_EVENT 1)")
                .contains("scored events: kafka:tag-labels, dead letters: kafka:tag-dead");

        List<ConsumerRecord<byte[], byte[]>> scored = KAFKA.consume("tag-labels", names.size() + 1, Duration.ofSeconds(5));
        assertThat(scored).extracting(r -> new String(r.key(), StandardCharsets.UTF_8)).containsExactlyInAnyOrderElementsOf(names);
        List<ConsumerRecord<byte[], byte[]>> dead = KAFKA.consume("tag-dead", 2, Duration.ofSeconds(5));
        assertThat(dead).hasSize(1);
        assertThat(AvroCodec.plain(DeadLetter.class).decode(dead.get(0).value()).getReason())
                .isEqualTo(DeadLetterReason.MALFORMED_EVENT);
    }
}
