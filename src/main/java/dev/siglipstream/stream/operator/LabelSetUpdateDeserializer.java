package dev.siglipstream.stream.operator;

import dev.siglipstream.events.LabelSetUpdate;
import dev.siglipstream.stream.registry.SchemaRegistryException;
import dev.siglipstream.stream.serde.AvroCodec;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the control topic: Avro LabelSetUpdates, and Kafka tombstones (key = id, no value) as
 * deletions. An unreadable control record is logged and skipped — it is configuration, not an
 * input event, and the previous version of the set stays in force.
 */
public final class LabelSetUpdateDeserializer implements KafkaRecordDeserializationSchema<LabelSetUpdate> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(LabelSetUpdateDeserializer.class);

    private final AvroCodec<LabelSetUpdate> codec;

    public LabelSetUpdateDeserializer(AvroCodec<LabelSetUpdate> codec) {
        this.codec = codec;
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<LabelSetUpdate> out) {
        if (record.value() == null) {
            if (record.key() != null) {
                out.collect(LabelSetUpdate.newBuilder().setId(new String(record.key(), StandardCharsets.UTF_8))
                        .setVersion(-1).setDeleted(true).build());
            }
            return;
        }
        try {
            out.collect(codec.decode(record.value()));
        } catch (SchemaRegistryException e) {
            throw e; // an update must not be skipped for want of its schema: the source fails and restarts
        } catch (Exception e) {
            LOG.warn("Skipped unreadable label-set update at {}-{}@{}: {}", record.topic(), record.partition(),
                    record.offset(), e.getMessage());
        }
    }

    @Override
    public TypeInformation<LabelSetUpdate> getProducedType() {
        return TypeInformation.of(LabelSetUpdate.class);
    }
}
