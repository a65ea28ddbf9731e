package dev.siglipstream.stream.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;
import java.util.Set;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.junit.jupiter.api.Test;

class RestoreAwareKafkaSinkTest {
    private static TransactionDescription broker(TransactionState state, long producerId, int epoch) {
        return new TransactionDescription(1, state, producerId, epoch, 60_000, OptionalLong.empty(), Set.of());
    }

    @Test
    void theCheckpointIsTheLastPartOfTheTransactionalId() {
        assertThat(RestoreAwareKafkaSink.checkpointOf("siglip-stream-images-3f9a2b1c4d-1-7")).isEqualTo(7);
        assertThat(RestoreAwareKafkaSink.checkpointOf("prefix-0-123456789012")).isEqualTo(123_456_789_012L);
        assertThat(RestoreAwareKafkaSink.checkpointOf("pooled-id")).isEqualTo(-1);
        assertThat(RestoreAwareKafkaSink.checkpointOf("noseparator")).isEqualTo(-1);
    }

    @Test
    void onlyACommitUnderTheSameProducerAndANewerEpochCountsAsCommitted() {
        KafkaCommittable restored = new KafkaCommittable(32, (short) 0, "p-1-7", null);
        // committed before the crash: the broker moved the epoch on at the commit
        assertThat(RestoreAwareKafkaSink.committed(restored, broker(TransactionState.COMPLETE_COMMIT, 32, 1))).isTrue();
        // still open (the crash came between checkpoint and commit): the connector commits it
        assertThat(RestoreAwareKafkaSink.committed(restored, broker(TransactionState.ONGOING, 32, 0))).isFalse();
        // aborted (timeout, fenced): real loss, the connector reports it
        assertThat(RestoreAwareKafkaSink.committed(restored, broker(TransactionState.COMPLETE_ABORT, 32, 1))).isFalse();
        // another producer's commit under the same id says nothing about ours
        assertThat(RestoreAwareKafkaSink.committed(restored, broker(TransactionState.COMPLETE_COMMIT, 33, 1))).isFalse();
        assertThat(RestoreAwareKafkaSink.committed(restored, broker(TransactionState.COMPLETE_COMMIT, 32, 0))).isFalse();
        assertThat(RestoreAwareKafkaSink.committed(restored, null)).isFalse();
    }
}
