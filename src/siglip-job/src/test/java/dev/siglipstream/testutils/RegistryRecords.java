package dev.siglipstream.testutils;

import dev.siglipstream.stream.serde.AvroCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/**
 * What a registry-aware producer with its own version of a schema writes: generic records of the
 * writer schemas in {@code src/test/resources/registry/}, framed as Confluent's serializer frames
 * them (magic byte 0, the 4-byte schema id, the Avro binary).
 */
public final class RegistryRecords {
    private RegistryRecords() {}

    /** {@code src/test/resources/registry/<name>.avsc}. */
    public static Schema schema(String name) {
        try (InputStream in = RegistryRecords.class.getResourceAsStream("/registry/" + name + ".avsc")) {
            if (in == null) {
                throw new IllegalArgumentException("no test schema /registry/" + name + ".avsc");
            }
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * An ImageEvent of {@code writer} with an inline image; fields this writer has beyond those
     * keep their defaults (e.g. a newer producer's {@code camera}).
     */
    public static GenericRecord imageEvent(Schema writer, String id, byte[] image, String labelSetId) {
        GenericData.Record r = new GenericData.Record(writer);
        for (Schema.Field f : writer.getFields()) {
            if (f.hasDefaultValue()) {
                r.put(f.name(), GenericData.get().getDefaultValue(f));
            }
        }
        r.put("id", writer.getField("id").schema().getType() == Schema.Type.LONG ? (Object) (long) id.hashCode() : id);
        r.put("image", ByteBuffer.wrap(image));
        r.put("labelSetId", labelSetId);
        if (writer.getField("metadata") != null) {
            r.put("metadata", Map.of("writer", writer.getDoc() == null ? "current" : writer.getDoc().substring(0, 12)));
        }
        if (writer.getField("eventTime") != null) {
            r.put("eventTime", 1_700_000_000_000L);
        }
        if (writer.getField("camera") != null) {
            r.put("camera", "cam-7");
        }
        return r;
    }

    /** {@code record} as a Confluent-framed value with {@code schemaId}. */
    public static byte[] frame(int schemaId, GenericRecord record) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AvroCodec.writeConfluentHeader(out, schemaId);
        BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            new GenericDatumWriter<GenericRecord>(record.getSchema()).write(record, enc);
            enc.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
