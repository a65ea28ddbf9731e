package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.events.LabelSetUpdate;
import dev.siglipstream.stream.registry.RegistrySettings;
import dev.siglipstream.stream.registry.SchemaRegistryClient;
import dev.siglipstream.stream.serde.AvroCodec;
import dev.siglipstream.testutils.ApicurioRegistry;
import dev.siglipstream.testutils.CliRun;
import dev.siglipstream.testutils.KafkaFixture;
import dev.siglipstream.testutils.TestData;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code produce}, {@code consume} and {@code label-set} with {@code --schema-registry}, against Apicurio Registry. */
class RegistryCommandsITCase {
    @RegisterExtension static final KafkaFixture KAFKA = new KafkaFixture();
    private static final Path JPG = TestData.conformance("images/photo_q90_420.jpg");
    private static ApicurioRegistry registry;

    @BeforeAll
    static void start() {
        registry = ApicurioRegistry.shared();
    }

    private static int headerId(byte[] value) {
        assertThat(value[0]).isZero();
        return ByteBuffer.wrap(value, 1, 4).getInt();
    }

    @Test
    void produceRegistersTheImageEventUnderTheTopicsSubjectAndConsumeReadsItBack() throws Exception {
        KAFKA.createTopic("reg-images", 1);
        CliRun produce = CliRun.of("produce", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "reg-images",
                "--wire-format", "confluent", "--schema-registry", registry.url(), "--id-prefix", "r-", JPG.toString());
        assertThat(produce.exitCode()).as(produce.err()).isZero();
        assertThat(produce.out().strip()).isEqualTo("r-0");

        ConsumerRecord<byte[], byte[]> r = KAFKA.consume("reg-images", 1, Duration.ofSeconds(30)).get(0);
        RegistrySettings settings = RegistrySettings.of(registry.url());
        assertThat(headerId(r.value()))
                .isEqualTo(new SchemaRegistryClient(settings).lookup("reg-images-value", ImageEvent.getClassSchema()));
        assertThat(AvroCodec.registry(ImageEvent.class, settings).decode(r.value()).getId()).isEqualTo("r-0");

        CliRun consume = CliRun.of("consume", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "reg-images",
                "--type", "image", "--max", "1", "--timeout", "5s", "--wire-format", "confluent", "--schema-registry", registry.url());
        assertThat(consume.exitCode()).as(consume.err()).isZero();
        JsonNode line = new ObjectMapper().readTree(consume.out().strip());
        assertThat(line.get("id").asText()).isEqualTo("r-0");

        // Without the registry, the fixed id does not match what the registry assigned: reported, not misread.
        CliRun fixed = CliRun.of("consume", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "reg-images",
                "--type", "image", "--max", "1", "--timeout", "5s", "--wire-format", "confluent", "--schema-id", "424242");
        assertThat(fixed.out()).contains("error").contains("schema id " + headerId(r.value()) + " is unknown");
    }

    @Test
    void labelSetUpdatesAreFramedWithTheRegisteredIdUnderTheRecordNameWhenAsked() throws Exception {
        KAFKA.createTopic("reg-label-sets", 1);
        CliRun update = CliRun.of("label-set", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "reg-label-sets",
                "--id", "animals", "--version", "2", "--labels", "cat,dog", "--wire-format", "confluent",
                "--schema-registry", registry.url(), "--subject-strategy", "record-name");
        assertThat(update.exitCode()).as(update.err()).isZero();
        ConsumerRecord<byte[], byte[]> r = KAFKA.consume("reg-label-sets", 1, Duration.ofSeconds(30)).get(0);
        RegistrySettings settings = RegistrySettings.of(registry.url());
        assertThat(headerId(r.value())).isEqualTo(new SchemaRegistryClient(settings)
                .lookup("dev.siglipstream.events.LabelSetUpdate", LabelSetUpdate.getClassSchema()));
        assertThat(AvroCodec.registry(LabelSetUpdate.class, settings).decode(r.value()).getLabels()).containsExactly("cat", "dog");
    }

    @Test
    void aRegistryNeedsTheConfluentWireFormat() {
        CliRun run = CliRun.of("produce", "--bootstrap", "127.0.0.1:1", "--topic", "t", "--schema-registry", "http://127.0.0.1:1",
                JPG.toString());
        assertThat(run.exitCode()).isNotZero();
        assertThat(run.err()).contains("siglip.schema-registry.url needs siglip.kafka.wire-format confluent");
        assertThat(List.of(run.out().strip())).containsExactly("");
    }
}
