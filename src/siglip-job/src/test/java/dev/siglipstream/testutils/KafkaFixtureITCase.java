package dev.siglipstream.testutils;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The broker fixture's helpers: transactional and plain produce, read_committed consume with a count and a timeout. */
class KafkaFixtureITCase {
    @RegisterExtension static final KafkaFixture KAFKA = new KafkaFixture();

    @Test
    void producesAndConsumesAcrossPartitions() {
        KAFKA.createTopic("fixture-tx", 3);
        KAFKA.produce(List.of(
                new ProducerRecord<>("fixture-tx", bytes("a"), bytes("1")),
                new ProducerRecord<>("fixture-tx", bytes("b"), bytes("2")),
                new ProducerRecord<>("fixture-tx", bytes("c"), bytes("3"))), true);
        KAFKA.produce("fixture-tx", bytes("d"), bytes("4"));

        List<ConsumerRecord<byte[], byte[]>> got = KAFKA.consume("fixture-tx", 4, Duration.ofSeconds(30));
        assertThat(got).extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactlyInAnyOrder("1", "2", "3", "4");
        assertThat(got).extracting(r -> new String(r.key(), StandardCharsets.UTF_8)).containsExactlyInAnyOrder("a", "b", "c", "d");
    }

    @Test
    void consumeReturnsWhatArrivedWhenTheTimeoutPasses() {
        KAFKA.createTopic("fixture-short", 1);
        KAFKA.produce("fixture-short", null, bytes("only"));
        long t0 = System.nanoTime();
        List<ConsumerRecord<byte[], byte[]>> got = KAFKA.consume("fixture-short", 2, Duration.ofSeconds(2));
        assertThat(got).hasSize(1);
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(Duration.ofSeconds(2).toNanos());
        assertThat(KAFKA.bootstrapServers()).isNotBlank();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
