package dev.siglipstream.stream.kafka;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaWriterState;
import org.apache.flink.connector.kafka.sink.TwoPhaseCommittingStatefulSink;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.SupportsPostCommitTopology;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.lineage.LineageVertex;
import org.apache.flink.streaming.api.lineage.LineageVertexProvider;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exactly-once {@link KafkaSink} with one change to its committer: a transaction restored from a
 * checkpoint that the broker already shows committed is marked committed instead of committed again.
 *
 * <p>Why: after a restore, the sink commits every transaction of the restored checkpoint once more.
 * Those the previous run had committed before it died are, with Kafka 4's transaction protocol
 * (the epoch is bumped at each commit), refused as "fenced", and the connector logs an ERROR that
 * this "most likely signals data loss" after every recovery although nothing was lost. Here the
 * committer first asks the broker ({@link Admin#describeTransactions}) about the restored
 * checkpoint's transactions: one in {@code CompleteCommit} under the same producer id and a newer
 * epoch was committed, and is signalled as already committed; every other one (open, or aborted:
 * that would be real loss) goes to the connector's committer as before, with its messages. Normal
 * commits (of checkpoints taken by this run) never take the detour.
 *
 * <p>It relies on the connector's default transaction naming ({@code <prefix>-<subtask>-<checkpoint
 * id>}): the checkpoint of a transaction is read from its id; an id it cannot read is left to the
 * connector.
 */
public final class RestoreAwareKafkaSink<IN> implements TwoPhaseCommittingStatefulSink<IN, KafkaWriterState, KafkaCommittable>,
        SupportsPostCommitTopology<KafkaCommittable>, LineageVertexProvider {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RestoreAwareKafkaSink.class);

    private final KafkaSink<IN> delegate;
    private final Properties adminProperties;

    /**
     * @param delegate the sink to run (exactly-once, default transaction naming)
     * @param clientProperties bootstrap servers and client settings (TLS, SASL, ...); those an admin
     *     client does not know are left out
     */
    public RestoreAwareKafkaSink(KafkaSink<IN> delegate, Properties clientProperties) {
        this.delegate = delegate;
        this.adminProperties = new Properties();
        for (String key : AdminClientConfig.configNames()) {
            if (clientProperties.containsKey(key)) {
                adminProperties.put(key, clientProperties.get(key));
            }
        }
    }

    @Override
    public PrecommittingStatefulSinkWriter<IN, KafkaWriterState, KafkaCommittable> createWriter(WriterInitContext context)
            throws IOException {
        return delegate.createWriter(context);
    }

    @Override
    public PrecommittingStatefulSinkWriter<IN, KafkaWriterState, KafkaCommittable> restoreWriter(WriterInitContext context,
            Collection<KafkaWriterState> recoveredState) {
        return delegate.restoreWriter(context, recoveredState);
    }

    @Override
    public SimpleVersionedSerializer<KafkaWriterState> getWriterStateSerializer() {
        return delegate.getWriterStateSerializer();
    }

    @Override
    public Committer<KafkaCommittable> createCommitter(CommitterInitContext context) throws IOException {
        return new RestoreAwareCommitter(delegate.createCommitter(context), context.getRestoredCheckpointId(), adminProperties);
    }

    @Override
    public SimpleVersionedSerializer<KafkaCommittable> getCommittableSerializer() {
        return delegate.getCommittableSerializer();
    }

    @Override
    public void addPostCommitTopology(DataStream<CommittableMessage<KafkaCommittable>> committables) {
        delegate.addPostCommitTopology(committables);
    }

    @Override
    public LineageVertex getLineageVertex() {
        return delegate.getLineageVertex();
    }

    /** The checkpoint id at the end of a transactional id {@code <prefix>-<subtask>-<checkpoint>}, or -1. */
    static long checkpointOf(String transactionalId) {
        int dash = transactionalId.lastIndexOf('-');
        try {
            return dash < 0 ? -1 : Long.parseLong(transactionalId.substring(dash + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Whether the broker's {@code state} of a transactional id shows {@code committable} committed. */
    static boolean committed(KafkaCommittable committable, TransactionDescription state) {
        return state != null && state.state() == TransactionState.COMPLETE_COMMIT
                && state.producerId() == committable.getProducerId() && state.producerEpoch() > committable.getEpoch();
    }

    /** The connector's committer behind a look at the broker for transactions of the restored checkpoint. */
    private static final class RestoreAwareCommitter implements Committer<KafkaCommittable> {
        private final Committer<KafkaCommittable> delegate;
        private final OptionalLong restoredCheckpoint;
        private final Properties adminProperties;

        RestoreAwareCommitter(Committer<KafkaCommittable> delegate, OptionalLong restoredCheckpoint, Properties adminProperties) {
            this.delegate = delegate;
            this.restoredCheckpoint = restoredCheckpoint;
            this.adminProperties = adminProperties;
        }

        @Override
        public void commit(Collection<CommitRequest<KafkaCommittable>> requests) throws IOException, InterruptedException {
            List<CommitRequest<KafkaCommittable>> restored = new ArrayList<>();
            List<CommitRequest<KafkaCommittable>> rest = new ArrayList<>();
            for (CommitRequest<KafkaCommittable> request : requests) {
                long checkpoint = checkpointOf(request.getCommittable().getTransactionalId());
                boolean fromRestore = restoredCheckpoint.isPresent() && checkpoint >= 0
                        && checkpoint <= restoredCheckpoint.getAsLong() && request.getNumberOfRetries() == 0;
                (fromRestore ? restored : rest).add(request);
            }
            if (!restored.isEmpty()) {
                Map<String, TransactionDescription> states = describe(restored);
                for (CommitRequest<KafkaCommittable> request : restored) {
                    KafkaCommittable committable = request.getCommittable();
                    if (committed(committable, states.get(committable.getTransactionalId()))) {
                        LOG.info("Transaction {} of the restored checkpoint was committed before the restart", committable.getTransactionalId());
                        request.signalAlreadyCommitted();
                    } else {
                        rest.add(request);
                    }
                }
            }
            delegate.commit(rest);
        }

        /** The broker's view of the requests' transactions; those it cannot tell are missing. */
        private Map<String, TransactionDescription> describe(List<CommitRequest<KafkaCommittable>> requests) {
            List<String> ids = requests.stream().map(r -> r.getCommittable().getTransactionalId()).distinct().toList();
            Map<String, TransactionDescription> out = new java.util.HashMap<>();
            try (Admin admin = Admin.create(adminProperties)) {
                var result = admin.describeTransactions(ids);
                for (String id : ids) {
                    try {
                        out.put(id, result.description(id).get(30, TimeUnit.SECONDS));
                    } catch (Exception e) {
                        // unknown id, timeout, no permission: the connector's committer decides
                        LOG.debug("Cannot describe transaction {}", id, e);
                    }
                }
            } catch (RuntimeException e) {
                LOG.debug("Cannot look up the restored transactions", e);
            }
            return out;
        }

        @Override
        public void close() throws Exception {
            delegate.close();
        }
    }
}
