package dev.siglipstream.stream.operator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;

/**
 * Writes each {@link Output} to the topic it names (a label set's topic, the default, or the dead
 * letters). A dead letter also carries its context in Kafka headers, as Kafka Connect's dead-letter
 * queue does ({@code __connect.errors.*}), so it can be routed or inspected without decoding Avro:
 * {@value #REASON}, {@value #STAGE}, {@value #SOURCE_TOPIC}, {@value #SOURCE_PARTITION},
 * {@value #SOURCE_OFFSET} (the last three when known).
 */
public final class OutputSerializer implements KafkaRecordSerializationSchema<Output> {
    private static final long serialVersionUID = 1L;

    public static final String REASON = "siglip.dlq.reason";
    public static final String STAGE = "siglip.dlq.stage";
    public static final String SOURCE_TOPIC = "siglip.dlq.source.topic";
    public static final String SOURCE_PARTITION = "siglip.dlq.source.partition";
    public static final String SOURCE_OFFSET = "siglip.dlq.source.offset";

    private static final Header[] NO_HEADERS = new Header[0];

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Output out, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(out.topic(), null, timestamp, out.key(), out.value(), List.of(headers(out)));
    }

    /** The record's headers: a dead letter's context; none for a scored event. */
    static Header[] headers(Output out) {
        if (!out.isDeadLetter()) {
            return NO_HEADERS;
        }
        List<Header> h = new ArrayList<>(5);
        h.add(header(REASON, out.deadLetterReason()));
        if (out.stage() != null) {
            h.add(header(STAGE, out.stage()));
        }
        Source s = out.source();
        if (s != null) {
            if (s.topic() != null) {
                h.add(header(SOURCE_TOPIC, s.topic()));
            }
            if (s.partition() >= 0) {
                h.add(header(SOURCE_PARTITION, Integer.toString(s.partition())));
            }
            if (s.offset() >= 0) {
                h.add(header(SOURCE_OFFSET, Long.toString(s.offset())));
            }
        }
        return h.toArray(NO_HEADERS);
    }

    private static Header header(String key, String value) {
        return new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The size the Kafka producer gives this output when it checks it against {@code max.request.size}
     * (the same estimate, {@link AbstractRecords#estimateSizeInBytesUpperBound}).
     */
    public static int serializedSize(Output out) {
        return AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE, CompressionType.NONE,
                out.key(), out.value(), headers(out));
    }
}
