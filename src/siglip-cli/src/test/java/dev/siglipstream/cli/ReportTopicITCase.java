package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.siglipstream.events.LabelScore;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.stream.serde.AvroCodec;
import dev.siglipstream.testutils.CliRun;
import dev.siglipstream.testutils.KafkaFixture;
import dev.siglipstream.testutils.TestData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code siglip report} reading an output topic (read_committed) and the inline images of the input topic. */
class ReportTopicITCase {
    @RegisterExtension static final KafkaFixture KAFKA = new KafkaFixture();

    private static final Path IMAGES = TestData.conformance("images");

    @Test
    void aReportOfTheOutputTopicShowsCommittedEventsWithTheirInlineImages(@TempDir Path dir) throws Exception {
        KAFKA.createTopic("report-images", 1);
        KAFKA.createTopic("report-scores", 1);
        CliRun produce = CliRun.of("produce", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "report-images", "--id-prefix", "img-",
                IMAGES.resolve("photo_q90_420.jpg").toString(), IMAGES.resolve("palette.png").toString());
        assertThat(produce.exitCode()).as(produce.err()).isZero();

        AvroCodec<LabelScoreEvent> codec = AvroCodec.plain(LabelScoreEvent.class);
        Properties p = KAFKA.producerProperties();
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "report-test");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("report-scores", bytes("img-9"), codec.encode(scored("img-9", 0.99f))));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("report-scores", bytes("img-0"), codec.encode(scored("img-0", 0.875f))));
            producer.send(new ProducerRecord<>("report-scores", bytes("img-1"), codec.encode(scored("img-1", 0.0625f))));
            producer.commitTransaction();
        }

        Path html = dir.resolve("topic-report.html");
        CliRun report = CliRun.of("report", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "report-scores",
                "--images-topic", "report-images", "--timeout", "3s", "--threshold", "0.5", "--out", html.toString());
        assertThat(report.exitCode()).as(report.err()).isZero();
        assertThat(report.err()).contains("2 scored events, 2 images");

        String page = Files.readString(html, StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("<script type=\"application/json\" id=\"report-data\">(.*?)</script>", Pattern.DOTALL).matcher(page);
        assertThat(m.find()).isTrue();
        JsonNode data = new ObjectMapper().readTree(m.group(1));
        assertThat(data.get("events")).extracting(e -> e.get("id").asText()).containsExactly("img-0", "img-1");
        assertThat(data.get("thumbs")).hasSize(2);
        assertThat(data.get("thumbs").get(0).asText()).startsWith("data:image/jpeg;base64,");
        assertThat(data.get("sets").get(0).get("threshold").asDouble()).isEqualTo(0.5);
        assertThat(data.get("sets").get(0).get("labels")).extracting(JsonNode::asText).containsExactly("cat", "dog");
    }

    private static LabelScoreEvent scored(String id, float cat) {
        return LabelScoreEvent.newBuilder().setEventId(id).setLabelSetId("animals").setLabelSetVersion(1).setModelId("siglip-tiny")
                .setScores(List.of(new LabelScore("cat", cat, cat >= 0.5f), new LabelScore("dog", 0.01f, false)))
                .setEventTime(Instant.ofEpochMilli(1000)).setProcessedAt(Instant.ofEpochMilli(2000)).build();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
