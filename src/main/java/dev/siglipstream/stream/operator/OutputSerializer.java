package dev.siglipstream.stream.operator;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Writes each {@link Output} to the topic it names (a label set's topic, the default, or the dead letters). */
public final class OutputSerializer implements KafkaRecordSerializationSchema<Output> {
    private static final long serialVersionUID = 1L;

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Output out, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(out.topic(), null, timestamp, out.key(), out.value());
    }
}
