package dev.siglipstream.stream.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.LabelScore;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.stream.serde.WireFormat;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/** Every output is bounded: no record of any size or shape can make the sink fail its task. */
class BoundedOutputsTest {
    private static final Codecs CODECS = new Codecs(WireFormat.PLAIN, 0, "dead");
    private static final int ONE_MIB = 1024 * 1024;

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    @Test
    void aDeadLetterCarriesAnExcerptTheSizeTheHashAndWhereTheWholeOriginalIs() throws Exception {
        byte[] original = random(10 * ONE_MIB);
        RawRecord raw = new RawRecord("images", 1, 4711L, "noise".getBytes(StandardCharsets.UTF_8), original);
        Output out = CODECS.deadLetter(raw, "noise", DeadLetterReason.MALFORMED_EVENT, "not an Avro ImageEvent", "deserialize");

        // It copied all 10 MiB before, and the sink's 1 MiB max.request.size failed the task on every replay.
        assertThat(OutputSerializer.serializedSize(out)).isLessThanOrEqualTo((int) CODECS.maxDeadLetterBytes())
                .isLessThan(ONE_MIB);
        DeadLetter d = CODECS.deadLetters().decode(out.value());
        assertThat(bytes(d.getOriginal())).isEqualTo(Arrays.copyOf(original, Codecs.DEFAULT_EXCERPT_BYTES));
        assertThat(d.getOriginalSize()).isEqualTo(original.length);
        assertThat(d.getOriginalSha256()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(original)));
        assertThat(d.getSourceTopic()).isEqualTo("images");
        assertThat(d.getSourcePartition()).isEqualTo(1);
        assertThat(d.getSourceOffset()).isEqualTo(4711L);
        assertThat(bytes(d.getSourceKey())).isEqualTo("noise".getBytes(StandardCharsets.UTF_8));
        assertThat(d.getStage()).isEqualTo("deserialize");

        // The context is in the headers too, as Kafka Connect's dead-letter queue does it.
        ProducerRecord<byte[], byte[]> record = new OutputSerializer().serialize(out, null, 5L);
        Map<String, String> headers = new HashMap<>();
        for (Header h : record.headers()) {
            headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
        }
        assertThat(headers).containsExactlyInAnyOrderEntriesOf(Map.of(OutputSerializer.REASON, "MALFORMED_EVENT",
                OutputSerializer.STAGE, "deserialize", OutputSerializer.SOURCE_TOPIC, "images",
                OutputSerializer.SOURCE_PARTITION, "1", OutputSerializer.SOURCE_OFFSET, "4711"));
        assertThat(record.topic()).isEqualTo("dead");
    }

    @Test
    void everyFieldOfADeadLetterIsBoundedWhateverTheInput() throws Exception {
        Codecs none = new Codecs(WireFormat.PLAIN, 0, "dead", 0);
        String hugeId = "\uD83D\uDE00".repeat(600_000); // 1.2 M chars of 4-byte code points
        String hugeMessage = "é".repeat(3_000_000);
        byte[] hugeKey = random(5 * ONE_MIB);
        Output out = none.deadLetter(hugeId, new Source("t".repeat(249), 0, 0L, hugeKey), random(3 * ONE_MIB),
                DeadLetterReason.INTERNAL_ERROR, hugeMessage, "score");
        assertThat(OutputSerializer.serializedSize(out)).isLessThanOrEqualTo((int) none.maxDeadLetterBytes());
        DeadLetter d = none.deadLetters().decode(out.value());
        assertThat(d.getOriginal().remaining()).isZero();
        assertThat(d.getOriginalSize()).isEqualTo(3L * ONE_MIB);
        assertThat(d.getEventId()).startsWith("\uD83D\uDE00").endsWith("... (1200000 chars)");
        assertThat(d.getMessage()).endsWith("... (3000000 chars)");
        assertThat(d.getSourceKey().remaining()).isEqualTo(1024);
        assertThat(Character.isHighSurrogate(d.getEventId().charAt(d.getEventId().indexOf("...") - 1))).isFalse();
    }

    private static LabelScoreEvent scored(String id, Map<String, String> metadata) {
        return LabelScoreEvent.newBuilder().setEventId(id).setLabelSetId("animals").setLabelSetVersion(1)
                .setModelId("m").setScores(List.of(new LabelScore("cat", 0.9f, true), new LabelScore("dog", 0.1f, false)))
                .setMetadata(metadata).setEventTime(Instant.EPOCH).setProcessedAt(Instant.EPOCH).build();
    }

    @Test
    void anOutputTheSinkWouldRefuseBecomesAnOutputTooLargeDeadLetter() throws Exception {
        OutputMetrics guard = new OutputMetrics(CODECS, ONE_MIB);
        Source source = new Source("images", 0, 9L, "big".getBytes(StandardCharsets.UTF_8));
        Output small = CODECS.scored("labels", scored("small", Map.of("k", "v")), source);
        assertThat(guard.bound(small)).isSameAs(small);

        Output big = CODECS.scored("labels", scored("big", Map.of("k", "x".repeat(ONE_MIB))), source);
        Output replaced = guard.bound(big);
        assertThat(replaced.topic()).isEqualTo("dead");
        assertThat(replaced.deadLetterReason()).isEqualTo("OUTPUT_TOO_LARGE");
        assertThat(new String(replaced.key(), StandardCharsets.UTF_8)).isEqualTo("big");
        DeadLetter d = CODECS.deadLetters().decode(replaced.value());
        assertThat(d.getReason()).isEqualTo(DeadLetterReason.OUTPUT_TOO_LARGE);
        assertThat(d.getStage()).isEqualTo("sink");
        assertThat(d.getEventId()).isEqualTo("big");
        assertThat(d.getSourceOffset()).isEqualTo(9L);
        assertThat(d.getMessage()).startsWith("the scored event for topic labels is ").contains("over the sink's max.request.size of 1048576");
        assertThat(OutputSerializer.serializedSize(replaced)).isLessThan(ONE_MIB);
    }
}
