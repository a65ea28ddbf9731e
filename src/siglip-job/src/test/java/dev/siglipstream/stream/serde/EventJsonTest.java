package dev.siglipstream.stream.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.events.LabelScore;
import org.junit.jupiter.api.Test;

/** The one-line JSON renderings used by {@code siglip consume}. */
class EventJsonTest {
    @Test
    void rendersLabelScoreEvents() {
        assertThat(EventJson.toJson(AvroCodecTest.scores())).isEqualTo(
                "{\"eventId\":\"evt-1\",\"labelSetId\":\"animals\",\"labelSetVersion\":3,\"modelId\":\"siglip-tiny\","
                        + "\"scores\":[{\"label\":\"cat\",\"score\":0.75},{\"label\":\"dog\",\"score\":0.125}],"
                        + "\"matched\":[\"cat\"],\"imageEmbedding\":null,\"timings\":{\"inference\":1200},"
                        + "\"metadata\":{\"file\":\"cat.jpg\"},\"eventTime\":\"2023-11-14T22:13:20.123Z\","
                        + "\"processedAt\":\"2023-11-14T22:13:21Z\"}");
        var withEmbedding = AvroCodecTest.scores();
        withEmbedding.setImageEmbedding(List.of(0.5f, -0.25f));
        withEmbedding.setScores(List.of(new LabelScore("a \"quoted\"\nlabel", 1.0f, true)));
        assertThat(EventJson.toJson(withEmbedding))
                .contains("\"imageEmbedding\":[0.5,-0.25]")
                .contains("{\"label\":\"a \\\"quoted\\\"\\nlabel\",\"score\":1.0}")
                .doesNotContain("\n");
    }

    @Test
    void rendersDeadLettersWithTheOriginalAsBase64() {
        ByteBuffer original = ByteBuffer.wrap(new byte[] {0, 1, 2, (byte) 0xff});
        DeadLetter d = DeadLetter.newBuilder().setEventId(null).setOriginal(original)
                .setReason(DeadLetterReason.MALFORMED_EVENT).setMessage("bad bytes").setStage("deserialize")
                .setSourceTopic("images").setSourcePartition(2).setSourceOffset(41L).setSourceKey(ByteBuffer.wrap(new byte[] {107}))
                .setOriginalSize(4L).setOriginalSha256("ab").setTime(Instant.ofEpochMilli(0)).build();
        assertThat(EventJson.toJson(d)).isEqualTo(
                "{\"eventId\":null,\"original\":\"AAEC/w==\",\"reason\":\"MALFORMED_EVENT\",\"message\":\"bad bytes\","
                        + "\"stage\":\"deserialize\",\"sourceTopic\":\"images\",\"sourcePartition\":2,\"sourceOffset\":41,"
                        + "\"sourceKey\":\"aw==\",\"originalSize\":4,\"originalSha256\":\"ab\",\"time\":\"1970-01-01T00:00:00Z\"}");
        assertThat(original.position()).isZero();
    }

    @Test
    void rendersImageEventsWithTheImageLengthOnly() {
        ImageEvent e = AvroCodecTest.image();
        assertThat(EventJson.toJson(e)).isEqualTo(
                "{\"id\":\"evt-1\",\"imageBytes\":6,\"imageUri\":null,\"labelSetId\":\"animals\",\"labels\":null,"
                        + "\"contentType\":\"image/jpeg\",\"metadata\":{\"file\":\"cat.jpg\"},\"eventTime\":\"2023-11-14T22:13:20.123Z\"}");
        e.setImage(null);
        e.setImageUri("https://images.example.com/a.jpg");
        e.setLabels(List.of("cat", "dog"));
        e.setMetadata(Map.of("b", "2", "a", "1"));
        assertThat(EventJson.toJson(e)).contains("\"imageBytes\":null,\"imageUri\":\"https://images.example.com/a.jpg\"")
                .contains("\"labels\":[\"cat\",\"dog\"]").contains("\"metadata\":{\"a\":\"1\",\"b\":\"2\"}");
    }

    @Test
    void rendersErrorsAndRejectsUnknownTypes() {
        assertThat(EventJson.error("cannot decode \"x\"", "out", 2, 17))
                .isEqualTo("{\"error\":\"cannot decode \\\"x\\\"\",\"topic\":\"out\",\"partition\":2,\"offset\":17}");
        assertThatThrownBy(() -> EventJson.toJson(new LabelScore("a", 1f, false)))
                .hasMessage("no JSON rendering for dev.siglipstream.events.LabelScore, expected LabelScoreEvent, DeadLetter, ImageEvent or LabelSetUpdate");
    }
}
