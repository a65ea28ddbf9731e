package dev.siglipstream.stream.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.events.LabelScore;
import dev.siglipstream.events.LabelScoreEvent;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

/** Round trips in both wire formats, and clear errors for every kind of malformed value. */
class AvroCodecTest {
    static ImageEvent image() {
        return ImageEvent.newBuilder()
                .setId("evt-1")
                .setImage(ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff, 1, 2, 3}))
                .setLabelSetId("animals")
                .setContentType("image/jpeg")
                .setMetadata(Map.of("file", "cat.jpg"))
                .setEventTime(Instant.ofEpochMilli(1_700_000_000_123L))
                .build();
    }

    static LabelScoreEvent scores() {
        return LabelScoreEvent.newBuilder()
                .setEventId("evt-1")
                .setLabelSetId("animals")
                .setLabelSetVersion(3)
                .setModelId("siglip-tiny")
                .setScores(List.of(new LabelScore("cat", 0.75f, true), new LabelScore("dog", 0.125f, false)))
                .setTimings(Map.of("inference", 1200L))
                .setMetadata(Map.of("file", "cat.jpg"))
                .setEventTime(Instant.ofEpochMilli(1_700_000_000_123L))
                .setProcessedAt(Instant.ofEpochMilli(1_700_000_001_000L))
                .build();
    }

    @Test
    void plainRoundTripIsAvroBinaryWithoutHeader() throws Exception {
        AvroCodec<ImageEvent> codec = AvroCodec.plain(ImageEvent.class);
        byte[] bytes = codec.encode(image());
        // Avro binary starts with the zig-zag length of the first string field "evt-1": 5 → 10.
        assertThat(bytes[0]).isEqualTo((byte) 10);
        assertThat(codec.decode(bytes)).isEqualTo(image());
        assertThat(codec.wireFormat()).isEqualTo(WireFormat.PLAIN);

        AvroCodec<LabelScoreEvent> scoreCodec = AvroCodec.plain(LabelScoreEvent.class);
        LabelScoreEvent back = scoreCodec.decode(scoreCodec.encode(scores()));
        assertThat(back).isEqualTo(scores());
        assertThat(back.getScores().get(0).getScore()).isEqualTo(0.75f);
        assertThat(back.getEventTime()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_123L));
    }

    @Test
    void confluentRoundTripHasMagicAndBigEndianSchemaId() throws Exception {
        AvroCodec<ImageEvent> codec = AvroCodec.confluent(ImageEvent.class, 0x01020304);
        byte[] bytes = codec.encode(image());
        assertThat(Arrays.copyOf(bytes, 5)).containsExactly(0, 1, 2, 3, 4);
        assertThat(Arrays.copyOfRange(bytes, 5, bytes.length)).containsExactly(AvroCodec.plain(ImageEvent.class).encode(image()));
        assertThat(codec.decode(bytes)).isEqualTo(image());
        assertThat(AvroCodec.create(ImageEvent.class, WireFormat.CONFLUENT, 7).decode(
                AvroCodec.confluent(ImageEvent.class, 7).encode(image()))).isEqualTo(image());
    }

    @Test
    void trailingBytesAreRejected() throws Exception {
        AvroCodec<ImageEvent> codec = AvroCodec.plain(ImageEvent.class);
        byte[] ok = codec.encode(image());
        byte[] longer = Arrays.copyOf(ok, ok.length + 3);
        assertThatThrownBy(() -> codec.decode(longer))
                .isInstanceOf(AvroDecodeException.class)
                .hasMessage("cannot decode ImageEvent (plain Avro binary): 3 trailing bytes after the record (of " + longer.length + ")");
    }

    @Test
    void truncatedEmptyAndNullValuesAreRejected() throws Exception {
        AvroCodec<ImageEvent> codec = AvroCodec.plain(ImageEvent.class);
        byte[] ok = codec.encode(image());
        assertThatThrownBy(() -> codec.decode(Arrays.copyOf(ok, ok.length - 1)))
                .isInstanceOf(AvroDecodeException.class)
                .hasMessageStartingWith("cannot decode ImageEvent (plain Avro binary) from " + (ok.length - 1) + " bytes: ")
                .hasCauseInstanceOf(java.io.EOFException.class);
        assertThatThrownBy(() -> codec.decode(new byte[0]))
                .isInstanceOf(AvroDecodeException.class)
                .hasMessageStartingWith("cannot decode ImageEvent (plain Avro binary) from 0 bytes");
        assertThatThrownBy(() -> codec.decode(null))
                .isInstanceOf(AvroDecodeException.class)
                .hasMessage("cannot decode ImageEvent (plain Avro binary): the value is null");
    }

    @Test
    void corruptLengthsAndUnionIndexesAreRejected() {
        AvroCodec<ImageEvent> codec = AvroCodec.plain(ImageEvent.class);
        // id: a string claiming 2^30 bytes in a 6-byte value.
        byte[] hugeString = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08, 0x00};
        assertThatThrownBy(() -> codec.decode(hugeString)).isInstanceOf(AvroDecodeException.class)
                .hasMessageStartingWith("cannot decode ImageEvent (plain Avro binary) from 6 bytes: ");
        // id: negative length -1 (zig-zag 1).
        assertThatThrownBy(() -> codec.decode(new byte[] {1, 0})).isInstanceOf(AvroDecodeException.class);
        // id "a", then union index 7 for image (the union has 2 branches).
        assertThatThrownBy(() -> codec.decode(new byte[] {2, 'a', 14, 0, 0})).isInstanceOf(AvroDecodeException.class);
        // An array claiming 2^30 items (matched of a LabelScoreEvent) in a short value.
        AvroCodec<LabelScoreEvent> scoreCodec = AvroCodec.plain(LabelScoreEvent.class);
        byte[] hugeArray = {2, 'e', 2, 'l', 2, 2, 'm', (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08, 0};
        assertThatThrownBy(() -> scoreCodec.decode(hugeArray)).isInstanceOf(AvroDecodeException.class);
    }

    @Test
    void randomBytesNeverEscapeAsUncheckedExceptions() {
        AvroCodec<LabelScoreEvent> scores = AvroCodec.plain(LabelScoreEvent.class);
        AvroCodec<DeadLetter> dead = AvroCodec.plain(DeadLetter.class);
        AvroCodec<ImageEvent> images = AvroCodec.confluent(ImageEvent.class, 1);
        Random random = new Random(42);
        int decoded = 0;
        for (int i = 0; i < 2000; i++) {
            byte[] b = new byte[random.nextInt(40)];
            random.nextBytes(b);
            for (AvroCodec<?> codec : List.of(scores, dead, images)) {
                try {
                    codec.decode(b);
                    decoded++;
                } catch (AvroDecodeException expected) {
                    assertThat(expected.getMessage()).startsWith("cannot decode ");
                }
            }
        }
        // Random bytes are almost never a complete record with nothing left over.
        assertThat(decoded).isLessThan(100);
    }

    @Test
    void confluentHeaderErrorsNameWhatWasExpected() throws Exception {
        AvroCodec<ImageEvent> codec = AvroCodec.confluent(ImageEvent.class, 5);
        byte[] plain = AvroCodec.plain(ImageEvent.class).encode(image());
        assertThatThrownBy(() -> codec.decode(plain))
                .isInstanceOf(AvroDecodeException.class)
                .hasMessage("cannot decode ImageEvent (Confluent framing, schema id 5): magic byte is 10, expected 0 (Confluent framing)");
        assertThatThrownBy(() -> codec.decode(new byte[] {0, 0, 0}))
                .hasMessage("cannot decode ImageEvent (Confluent framing, schema id 5): 3 bytes, shorter than the 5-byte Confluent header");
        byte[] other = AvroCodec.confluent(ImageEvent.class, 6).encode(image());
        assertThatThrownBy(() -> codec.decode(other))
                .hasMessage("cannot decode ImageEvent (Confluent framing, schema id 5): schema id 6 is unknown, expected one of [5]");
        assertThatThrownBy(() -> AvroCodec.confluent(ImageEvent.class, -1)).hasMessage("Confluent schema id must be >= 0, got -1");
    }

    @Test
    void olderWriterSchemasAreResolvedByConfluentSchemaId() throws Exception {
        // A hypothetical older ImageEvent without contentType and labels.
        Schema current = ImageEvent.getClassSchema();
        List<Schema.Field> fields = new java.util.ArrayList<>();
        for (Schema.Field f : current.getFields()) {
            if (!f.name().equals("contentType") && !f.name().equals("labels")) {
                fields.add(new Schema.Field(f, f.schema()));
            }
        }
        Schema older = Schema.createRecord(current.getName(), current.getDoc(), current.getNamespace(), false, fields);
        assertThat(older.getField("contentType")).isNull();
        assertThat(older.getField("labels")).isNull();
        GenericRecord old = new GenericData.Record(older);
        old.put("id", "old-1");
        old.put("image", ByteBuffer.wrap(new byte[] {1, 2}));
        old.put("metadata", Map.of());
        old.put("eventTime", 5L);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {0, 0, 0, 0, 1});
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(older).write(old, enc);
        enc.flush();

        AvroCodec<ImageEvent> codec = AvroCodec.confluent(ImageEvent.class, 2).withWriterSchema(1, older);
        ImageEvent event = codec.decode(out.toByteArray());
        assertThat(event.getId()).isEqualTo("old-1");
        assertThat(event.getContentType()).isNull();
        assertThat(event.getLabels()).isNull();
        assertThat(event.getEventTime()).isEqualTo(Instant.ofEpochMilli(5));
        assertThat(codec.decode(codec.encode(image()))).isEqualTo(image());
        assertThatThrownBy(() -> AvroCodec.plain(ImageEvent.class).withWriterSchema(1, older))
                .hasMessage("writer schemas by id need WireFormat.CONFLUENT, this codec is PLAIN");
    }

    @Test
    void encodingAnIncompleteRecordSaysWhich() {
        ImageEvent broken = image();
        broken.setId(null);
        assertThatThrownBy(() -> AvroCodec.plain(ImageEvent.class).encode(broken))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cannot encode ImageEvent: ");
    }

    @Test
    void survivesJavaSerializationAndIsSharedAcrossThreads() throws Exception {
        AvroCodec<DeadLetter> codec = AvroCodec.confluent(DeadLetter.class, 9);
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ObjectOutputStream oos = new ObjectOutputStream(bos)) {
            oos.writeObject(codec);
        }
        @SuppressWarnings("unchecked")
        AvroCodec<DeadLetter> copy = (AvroCodec<DeadLetter>) new ObjectInputStream(new ByteArrayInputStream(bos.toByteArray())).readObject();
        DeadLetter letter = DeadLetter.newBuilder()
                .setEventId("e").setOriginal(ByteBuffer.wrap(new byte[] {9})).setReason(DeadLetterReason.MALFORMED_EVENT)
                .setMessage("bad").setStage("deserialize").setSourceTopic("images").setTime(Instant.ofEpochMilli(1)).build();
        assertThat(copy.decode(codec.encode(letter))).isEqualTo(letter);
        assertThat(copy.schemaId()).isEqualTo(9);

        List<Thread> threads = new java.util.ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger ok = new java.util.concurrent.atomic.AtomicInteger();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                for (int i = 0; i < 500; i++) {
                    try {
                        if (copy.decode(copy.encode(letter)).equals(letter)) {
                            ok.incrementAndGet();
                        }
                    } catch (AvroDecodeException e) {
                        throw new AssertionError(e);
                    }
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(ok.get()).isEqualTo(2000);
    }
}
