package dev.siglipstream.stream.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import dev.siglipstream.stream.registry.RegistrySettings;
import dev.siglipstream.stream.registry.RegistryUnavailableException;
import dev.siglipstream.stream.registry.SchemaRegistryClient;
import dev.siglipstream.stream.registry.SchemaRegistryException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * Encodes and decodes one generated Avro record type to and from Kafka record values, in {@link
 * WireFormat#PLAIN plain Avro binary} (the default) or {@link WireFormat#CONFLUENT Confluent
 * framing}.
 *
 * <pre>{@code
 * AvroCodec<ImageEvent> codec = AvroCodec.plain(ImageEvent.class);
 * byte[] value = codec.encode(event);
 * ImageEvent back = codec.decode(value); // AvroDecodeException on anything malformed
 * }</pre>
 *
 * <p>Immutable, thread-safe and serializable (Flink functions may hold one). Decoding is strict:
 * the value must be consumed exactly, so trailing bytes, truncation and (in Confluent framing) a
 * wrong magic byte or an unknown schema id are all errors.
 *
 * <p>With a schema registry ({@link #registry}), decoding accepts any writer schema id the registry
 * knows and resolves it to this codec's schema (Avro schema resolution), and encoding writes the id
 * the registry gives this schema under the topic's subject (registered, or looked up).
 */
public final class AvroCodec<T extends SpecificRecord> implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final byte CONFLUENT_MAGIC = 0;
    private static final int CONFLUENT_HEADER = 5;

    private final Class<T> type;
    private final WireFormat wireFormat;
    private final int schemaId;
    /** Older writer schemas by Confluent schema id, as JSON (Schema is not reliably serializable). */
    private final Map<Integer, String> writerSchemas;
    /** Where writer schemas and output ids come from; null for the fixed {@link #schemaId}. */
    private final RegistrySettings registry;

    private transient Schema schema;
    private transient SpecificDatumWriter<T> writer;
    private transient Map<Integer, DatumReader<T>> readers;
    private transient Map<Integer, Schema> writers;
    private transient SpecificData model;
    private transient Map<String, Integer> idsByTopic;

    private AvroCodec(Class<T> type, WireFormat wireFormat, int schemaId, Map<Integer, String> writerSchemas) {
        this(type, wireFormat, schemaId, writerSchemas, null);
    }

    private AvroCodec(Class<T> type, WireFormat wireFormat, int schemaId, Map<Integer, String> writerSchemas,
            RegistrySettings registry) {
        this.type = Objects.requireNonNull(type, "type");
        this.wireFormat = Objects.requireNonNull(wireFormat, "wireFormat");
        if (wireFormat == WireFormat.CONFLUENT && schemaId < 0 && registry == null) {
            throw new IllegalArgumentException("Confluent schema id must be >= 0, got " + schemaId);
        }
        this.schemaId = schemaId;
        this.writerSchemas = Map.copyOf(writerSchemas);
        this.registry = registry;
        init();
    }

    /**
     * Confluent framing with ids from a schema registry: decodes any writer schema the registry
     * knows that resolves to {@code type}'s schema, and encodes with the id of {@code type}'s schema
     * under the subject that {@link RegistrySettings#subjectStrategy()} names for the topic.
     */
    public static <T extends SpecificRecord> AvroCodec<T> registry(Class<T> type, RegistrySettings settings) {
        return new AvroCodec<>(type, WireFormat.CONFLUENT, -1, Map.of(), Objects.requireNonNull(settings, "settings"));
    }

    /** A registry codec when {@code registry} is set, {@link #create(Class, WireFormat, int)} otherwise. */
    public static <T extends SpecificRecord> AvroCodec<T> create(Class<T> type, WireFormat wireFormat, int schemaId,
            RegistrySettings registry) {
        if (registry == null) {
            return create(type, wireFormat, schemaId);
        }
        if (wireFormat != WireFormat.CONFLUENT) {
            throw new IllegalArgumentException("a schema registry needs the confluent wire format, got " + wireFormat);
        }
        return registry(type, registry);
    }

    /** Plain Avro binary of {@code type}'s schema. */
    public static <T extends SpecificRecord> AvroCodec<T> plain(Class<T> type) {
        return new AvroCodec<>(type, WireFormat.PLAIN, 0, Map.of());
    }

    /** Confluent framing with {@code schemaId} in the header of every encoded value. */
    public static <T extends SpecificRecord> AvroCodec<T> confluent(Class<T> type, int schemaId) {
        return new AvroCodec<>(type, WireFormat.CONFLUENT, schemaId, Map.of());
    }

    /** Either wire format; {@code schemaId} is used only by {@link WireFormat#CONFLUENT}. */
    public static <T extends SpecificRecord> AvroCodec<T> create(Class<T> type, WireFormat wireFormat, int schemaId) {
        return new AvroCodec<>(type, wireFormat, wireFormat == WireFormat.CONFLUENT ? schemaId : 0, Map.of());
    }

    /**
     * A codec that also decodes Confluent-framed values carrying {@code id}, written with the older
     * (or newer) {@code writerSchema}, resolving them to this codec's schema.
     *
     * @throws IllegalStateException when this codec is not Confluent-framed
     * @throws IllegalArgumentException when {@code id} is this codec's own schema id
     */
    public AvroCodec<T> withWriterSchema(int id, Schema writerSchema) {
        if (wireFormat != WireFormat.CONFLUENT) {
            throw new IllegalStateException("writer schemas by id need WireFormat.CONFLUENT, this codec is " + wireFormat);
        }
        if (registry != null) {
            throw new IllegalStateException("writer schemas come from the registry, this codec is " + describe());
        }
        if (id == schemaId) {
            throw new IllegalArgumentException("schema id " + id + " is this codec's own schema id");
        }
        Map<Integer, String> more = new HashMap<>(writerSchemas);
        more.put(id, writerSchema.toString());
        return new AvroCodec<>(type, wireFormat, schemaId, more);
    }

    private void init() {
        model = SpecificData.getForClass(type);
        schema = model.getSchema(type);
        writer = new SpecificDatumWriter<>(schema, model);
        readers = new ConcurrentHashMap<>();
        writers = new ConcurrentHashMap<>();
        idsByTopic = new ConcurrentHashMap<>();
        if (registry == null) {
            readers.put(schemaId, new SpecificDatumReader<>(schema, schema, model));
            writers.put(schemaId, schema);
        }
        writerSchemas.forEach((id, json) -> {
            Schema writerSchema = new Schema.Parser().parse(json);
            readers.put(id, new SpecificDatumReader<>(writerSchema, schema, model));
            writers.put(id, writerSchema);
        });
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        init();
    }

    /** The record type. */
    public Class<T> type() {
        return type;
    }

    /** The record's schema (the reader and writer schema of this codec). */
    public Schema schema() {
        return schema;
    }

    /** The framing. */
    public WireFormat wireFormat() {
        return wireFormat;
    }

    /** The schema id written in Confluent framing (0 for plain, -1 when it comes from a registry). */
    public int schemaId() {
        return schemaId;
    }

    /** The schema registry settings, or null when the Confluent schema id is fixed. */
    public RegistrySettings registrySettings() {
        return registry;
    }

    /**
     * Encodes one record.
     *
     * @throws NullPointerException with a registry whose subjects are named after the topic: use
     *     {@link #encode(SpecificRecord, String)}
     */
    public byte[] encode(T value) {
        return encode(value, null);
    }

    /**
     * Encodes one record for {@code topic}, which names the registry subject (ignored without a
     * registry).
     *
     * @throws RegistryUnavailableException when the registry cannot be reached for the id (once per
     *     topic; the id is cached)
     * @throws SchemaRegistryException when the registry refuses the schema, or (auto-register off)
     *     does not have it
     */
    public byte[] encode(T value, String topic) {
        Objects.requireNonNull(value, "value");
        int schemaId = registry == null ? this.schemaId : writeId(topic);
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        if (wireFormat == WireFormat.CONFLUENT) {
            writeConfluentHeader(out, schemaId);
        }
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            writer.write(value, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode " + type.getSimpleName(), e);
        } catch (RuntimeException e) {
            // Avro reports a missing required field or a wrong type as a bare NPE/ClassCastException.
            throw new IllegalArgumentException("cannot encode " + type.getSimpleName() + ": " + e, e);
        }
        return out.toByteArray();
    }

    /** Writes the 5-byte Confluent header: magic byte 0 and {@code schemaId}, big-endian. */
    public static void writeConfluentHeader(ByteArrayOutputStream out, int schemaId) {
        out.write(CONFLUENT_MAGIC);
        out.write(schemaId >>> 24);
        out.write(schemaId >>> 16);
        out.write(schemaId >>> 8);
        out.write(schemaId);
    }

    /**
     * Decodes one record.
     *
     * @throws AvroDecodeException when {@code bytes} is null, truncated, has trailing bytes, has a
     *     wrong Confluent header, or is otherwise not a valid encoding of this record type
     */
    public T decode(byte[] bytes) throws AvroDecodeException {
        if (bytes == null) {
            throw new AvroDecodeException("cannot decode " + describe() + ": the value is null");
        }
        int offset = 0;
        int id = schemaId;
        if (wireFormat == WireFormat.CONFLUENT) {
            if (bytes.length < CONFLUENT_HEADER) {
                throw new AvroDecodeException("cannot decode " + describe() + ": " + bytes.length
                        + " bytes, shorter than the 5-byte Confluent header");
            }
            if (bytes[0] != CONFLUENT_MAGIC) {
                throw new AvroDecodeException("cannot decode " + describe() + ": magic byte is " + (bytes[0] & 0xff)
                        + ", expected 0 (Confluent framing)");
            }
            id = ((bytes[1] & 0xff) << 24) | ((bytes[2] & 0xff) << 16) | ((bytes[3] & 0xff) << 8) | (bytes[4] & 0xff);
            if (registry != null && !readers.containsKey(id)) {
                resolveWriter(id);
            } else if (!readers.containsKey(id)) {
                throw new AvroDecodeException("cannot decode " + describe() + ": schema id " + id
                        + " is unknown, expected one of " + readers.keySet());
            }
            offset = CONFLUENT_HEADER;
        }
        int length = bytes.length - offset;
        validate(bytes, offset, length, writers.get(id));
        try {
            return readers.get(id).read(null, DecoderFactory.get().binaryDecoder(bytes, offset, length, null));
        } catch (IOException | RuntimeException e) {
            throw new AvroDecodeException("cannot decode " + describe() + " from " + length + " bytes: " + e, e);
        } catch (OutOfMemoryError e) {
            // validate() bounds every length by the value's size, so this is a last resort.
            throw new AvroDecodeException("cannot decode " + describe() + " from " + length + " bytes: " + e, e);
        }
    }

    private int writeId(String topic) {
        String key = registry.subjectStrategy().usesTopic() ? Objects.requireNonNull(topic,
                () -> "the topic, to name the subject (" + registry.subjectStrategy() + ")") : "";
        Integer id = idsByTopic.get(key);
        if (id == null) {
            String subject = registry.subjectStrategy().subject(topic, schema);
            id = SchemaRegistryClient.shared(registry).idFor(subject, schema, registry.autoRegister());
            idsByTopic.put(key, id);
        }
        return id;
    }

    /** Fetches writer schema {@code id} and keeps a resolving reader for it, or says why it cannot be read. */
    private void resolveWriter(int id) throws UnresolvableSchemaException {
        Schema writerSchema;
        try {
            writerSchema = SchemaRegistryClient.shared(registry).schemaById(id);
        } catch (SchemaRegistryException e) {
            if (!e.notFound() && e.status() != 200) {
                throw e; // unreachable, refused credentials, ...: nothing is known about the record
            }
            throw new UnresolvableSchemaException("cannot decode " + describe() + ": writer schema id " + id
                    + (e.notFound() ? " is unknown to the schema registry" : " is unusable") + " (" + e.getMessage() + ")",
                    id, e.notFound(), e);
        }
        SchemaCompatibility.SchemaPairCompatibility check = SchemaCompatibility.checkReaderWriterCompatibility(schema, writerSchema);
        if (check.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            StringBuilder why = new StringBuilder();
            for (SchemaCompatibility.Incompatibility i : check.getResult().getIncompatibilities()) {
                why.append(why.length() == 0 ? "" : "; ").append(i.getType()).append(" at ").append(i.getLocation())
                        .append(": ").append(i.getMessage());
            }
            throw new UnresolvableSchemaException("cannot decode " + describe() + ": writer schema id " + id + " ("
                    + writerSchema.getFullName() + ") is incompatible with the reader schema: " + why, id, false, null);
        }
        if (readers.size() >= registry.cacheSize()) {
            readers.clear(); // rebuilt from the client's cache as records need them
            writers.clear();
        }
        writers.put(id, writerSchema);
        readers.put(id, new SpecificDatumReader<>(writerSchema, schema, model));
    }

    /**
     * Walks the value without materialising it, so that a corrupt length prefix claiming gigabytes
     * fails as a short read instead of an allocation, and checks that nothing follows the record.
     */
    private void validate(byte[] bytes, int offset, int length, Schema writerSchema) throws AvroDecodeException {
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, offset, length, null);
        try {
            GenericDatumReader.skip(writerSchema, decoder);
            if (!decoder.isEnd()) {
                int left = decoder.inputStream().available();
                throw new AvroDecodeException("cannot decode " + describe() + ": " + left + " trailing bytes after the record (of "
                        + length + ")");
            }
        } catch (IOException | RuntimeException e) {
            throw new AvroDecodeException("cannot decode " + describe() + " from " + length + " bytes: " + e, e);
        }
    }

    private String describe() {
        if (registry != null) {
            return type.getSimpleName() + " (Confluent framing, schema registry " + registry.urls() + ")";
        }
        return wireFormat == WireFormat.CONFLUENT
                ? type.getSimpleName() + " (Confluent framing, schema id " + schemaId + ")"
                : type.getSimpleName() + " (plain Avro binary)";
    }

    @Override
    public String toString() {
        return "AvroCodec[" + describe() + "]";
    }
}
