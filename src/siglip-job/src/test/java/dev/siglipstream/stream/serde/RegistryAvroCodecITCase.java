package dev.siglipstream.stream.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.stream.registry.RegistrySettings;
import dev.siglipstream.stream.registry.RegistryUnavailableException;
import dev.siglipstream.stream.registry.SchemaRegistryClient;
import dev.siglipstream.stream.registry.SchemaRegistryException;
import dev.siglipstream.stream.registry.SubjectNameStrategy;
import dev.siglipstream.testutils.ApicurioRegistry;
import dev.siglipstream.testutils.PausableProxy;
import dev.siglipstream.testutils.RegistryRecords;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Schema evolution through the registry: what a registry codec reads, refuses and writes, against Apicurio Registry. */
class RegistryAvroCodecITCase {
    private static final byte[] IMAGE = {1, 2, 3, 4};
    private static ApicurioRegistry registry;
    private static SchemaRegistryClient producer;

    @BeforeAll
    static void start() {
        registry = ApicurioRegistry.shared();
        producer = new SchemaRegistryClient(RegistrySettings.of(registry.url()));
    }

    private static String topic() {
        return "t" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static RegistrySettings settings(String url) {
        return RegistrySettings.of(url).withRetries(1, Duration.ofMillis(20), Duration.ofSeconds(5));
    }

    @Test
    void anOlderAndANewerWriterAreBothReadThroughSchemaResolution() throws Exception {
        String topic = topic();
        Schema older = RegistryRecords.schema("ImageEvent-older");
        Schema newer = RegistryRecords.schema("ImageEvent-newer");
        int olderId = producer.register(topic + "-value", older);
        int newerId = producer.register(topic + "-value", newer);
        AvroCodec<ImageEvent> codec = AvroCodec.registry(ImageEvent.class, settings(registry.url()));

        ImageEvent fromOlder = codec.decode(RegistryRecords.frame(olderId, RegistryRecords.imageEvent(older, "o1", IMAGE, "animals")));
        ImageEvent fromNewer = codec.decode(RegistryRecords.frame(newerId, RegistryRecords.imageEvent(newer, "n1", IMAGE, "animals")));

        assertThat(fromOlder.getId()).isEqualTo("o1");
        assertThat(fromOlder.getMetadata()).as("absent in the older writer: the reader's default").isEmpty();
        assertThat(fromOlder.getLabels()).isNull();
        assertThat(fromOlder.getImage()).isEqualTo(ByteBuffer.wrap(IMAGE));
        assertThat(fromNewer.getId()).isEqualTo("n1");
        assertThat(fromNewer.getLabelSetId()).isEqualTo("animals");
        assertThat(fromNewer.getEventTime()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_000L));
        assertThat(fromNewer.getMetadata()).containsEntry("writer", "ImageEvent a");
    }

    @Test
    void anIncompatibleWriterIsUnresolvableAndSaysWhy() throws Exception {
        Schema bad = RegistryRecords.schema("ImageEvent-incompatible");
        int id = producer.register(topic() + "-value", bad);
        AvroCodec<ImageEvent> codec = AvroCodec.registry(ImageEvent.class, settings(registry.url()));
        byte[] value = RegistryRecords.frame(id, RegistryRecords.imageEvent(bad, "x", IMAGE, null));

        assertThatThrownBy(() -> codec.decode(value))
                .isInstanceOfSatisfying(UnresolvableSchemaException.class, e -> {
                    assertThat(e.unknownId()).isFalse();
                    assertThat(e.schemaId()).isEqualTo(id);
                })
                .hasMessageContaining("writer schema id " + id + " (dev.siglipstream.events.ImageEvent) is incompatible")
                .hasMessageContaining("TYPE_MISMATCH at /fields/0/type")
                .hasMessageContaining("READER_FIELD_MISSING_DEFAULT_VALUE");
    }

    @Test
    void anIdTheRegistryDoesNotKnowIsUnresolvableAsUnknown() {
        AvroCodec<ImageEvent> codec = AvroCodec.registry(ImageEvent.class, settings(registry.url()));
        byte[] value = RegistryRecords.frame(777_777, RegistryRecords.imageEvent(ImageEvent.getClassSchema(), "x", IMAGE, null));
        assertThatThrownBy(() -> codec.decode(value))
                .isInstanceOfSatisfying(UnresolvableSchemaException.class, e -> assertThat(e.unknownId()).isTrue())
                .hasMessageContaining("writer schema id 777777 is unknown to the schema registry");
    }

    @Test
    void anUnreachableRegistryIsNotTheRecordsFaultAndTheNextTryReadsIt() throws Exception {
        String topic = topic();
        int id = producer.register(topic + "-value", RegistryRecords.schema("ImageEvent-newer"));
        byte[] value = RegistryRecords.frame(id, RegistryRecords.imageEvent(RegistryRecords.schema("ImageEvent-newer"), "n", IMAGE, null));
        try (PausableProxy proxy = new PausableProxy(registry.port())) {
            AvroCodec<ImageEvent> codec = AvroCodec.registry(ImageEvent.class,
                    settings("http://127.0.0.1:" + proxy.port() + "/apis/ccompat/v7"));
            proxy.pause();
            assertThatThrownBy(() -> codec.decode(value)).isInstanceOf(RegistryUnavailableException.class)
                    .hasMessageContaining("GET /schemas/ids/" + id);
            proxy.resume();
            assertThat(codec.decode(value).getId()).isEqualTo("n");
            proxy.pause();
            assertThat(codec.decode(value).getId()).as("known now: no request").isEqualTo("n");
        }
    }

    @Test
    void encodingWritesTheIdOfTheSchemaUnderTheStrategysSubject() throws Exception {
        String topic = topic();
        DeadLetter dl = DeadLetter.newBuilder().setReason(DeadLetterReason.TIMEOUT).setMessage("m").setStage("s")
                .setTime(Instant.ofEpochMilli(1)).build();
        for (SubjectNameStrategy strategy : SubjectNameStrategy.values()) {
            AvroCodec<DeadLetter> codec = AvroCodec.registry(DeadLetter.class, settings(registry.url()).withSubjectStrategy(strategy));
            byte[] value = codec.encode(dl, topic);
            String subject = switch (strategy) {
                case TOPIC_NAME -> topic + "-value";
                case RECORD_NAME -> "dev.siglipstream.events.DeadLetter";
                case TOPIC_RECORD_NAME -> topic + "-dev.siglipstream.events.DeadLetter";
            };
            assertThat(ByteBuffer.wrap(value, 1, 4).getInt()).as(strategy.name())
                    .isEqualTo(producer.lookup(subject, DeadLetter.getClassSchema()));
            assertThat(codec.decode(value)).isEqualTo(dl);
        }
    }

    @Test
    void withoutAutoRegisterTheIdIsLookedUpAndAMissingSchemaIsAClearError() throws Exception {
        String topic = topic();
        DeadLetter dl = DeadLetter.newBuilder().setReason(DeadLetterReason.TIMEOUT).setMessage("m").setStage("s")
                .setTime(Instant.ofEpochMilli(1)).build();
        AvroCodec<DeadLetter> lookupOnly = AvroCodec.registry(DeadLetter.class, settings(registry.url()).withAutoRegister(false));
        assertThatThrownBy(() -> lookupOnly.encode(dl, topic))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.notFound()).isTrue())
                .hasMessageContaining("POST /subjects/" + topic + "-value");
        assertThatThrownBy(() -> producer.versions(topic + "-value")).as("nothing registered")
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.notFound()).isTrue());
    }

    @Test
    void aRegistryCodecTravelsWithTheJobGraph() throws Exception {
        String topic = topic();
        int id = producer.register(topic + "-value", ImageEvent.getClassSchema());
        AvroCodec<ImageEvent> codec = AvroCodec.registry(ImageEvent.class, settings(registry.url()));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(codec);
        }
        @SuppressWarnings("unchecked")
        AvroCodec<ImageEvent> back = (AvroCodec<ImageEvent>) new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray())).readObject();
        ImageEvent e = ImageEvent.newBuilder().setId("s").setImage(ByteBuffer.wrap(IMAGE)).setMetadata(Map.of())
                .setEventTime(Instant.ofEpochMilli(5)).build();
        byte[] value = back.encode(e, topic);
        assertThat(ByteBuffer.wrap(value, 1, 4).getInt()).isEqualTo(id);
        assertThat(back.decode(value)).isEqualTo(e);
        assertThat(back.registrySettings()).isEqualTo(codec.registrySettings());
    }
}
