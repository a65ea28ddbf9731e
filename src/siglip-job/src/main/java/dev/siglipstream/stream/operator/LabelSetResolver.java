package dev.siglipstream.stream.operator;

import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.events.LabelSetUpdate;
import dev.siglipstream.stream.labels.LabelSet;
import dev.siglipstream.stream.labels.LabelSetException;
import dev.siglipstream.stream.labels.LabelSetResolution;
import dev.siglipstream.stream.metrics.JobMetrics;
import dev.siglipstream.stream.registry.SchemaRegistryException;
import dev.siglipstream.stream.serde.UnresolvableSchemaException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deserialises image events and resolves each one's label set from broadcast state (fed by the
 * control topic, on top of the static YAML sets). Events that cannot be read or resolved are
 * emitted as {@link ResolvedEvent#rejected} dead letters with a reason, in the same stream; the live
 * sets are checkpointed with the broadcast state.
 *
 * <p>Control records arrive as bytes and are decoded here. An update is checked completely when it
 * arrives ({@link LabelSetResolution#apply}); an unreadable or invalid one is refused, the previous version stays in force, and it is logged, counted
 * ({@code labelSetUpdatesRefused}) and written as one INVALID_LABEL_SET dead letter. Every subtask
 * sees every update, so only subtask 0 writes that dead letter, into its regular output: it goes to
 * the sink through the same checkpointed chain as every other output, exactly once.
 */
public final class LabelSetResolver extends BroadcastProcessFunction<RawRecord, RawRecord, ResolvedEvent> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(LabelSetResolver.class);

    /** The live label sets, by id. */
    public static final MapStateDescriptor<String, LabelSet> STATE =
            new MapStateDescriptor<>("label-sets", Types.STRING, TypeInformation.of(LabelSet.class));

    private final LabelSetResolution resolution;
    private final Codecs codecs;
    private transient JobMetrics metrics;
    private transient Map<String, Long> versions;

    public LabelSetResolver(LabelSetResolution resolution, Codecs codecs) {
        this.resolution = resolution;
        this.codecs = codecs;
    }

    @Override
    public void open(OpenContext openContext) {
        versions = new ConcurrentHashMap<>();
        resolution.staticSets().forEach((id, s) -> versions.put(id, s.version()));
        metrics = new JobMetrics(getRuntimeContext().getMetricGroup());
        metrics.labelSetVersions(versions);
    }

    @Override
    public void processElement(RawRecord raw, ReadOnlyContext ctx, Collector<ResolvedEvent> out) throws Exception {
        ReadOnlyBroadcastState<String, LabelSet> state = ctx.getBroadcastState(STATE);
        resolve(raw, new LabelSetResolution.Store() {
            @Override
            public LabelSet get(String id) throws Exception {
                return state.get(id);
            }

            @Override
            public void put(String id, LabelSet set) {
                throw new UnsupportedOperationException("read-only");
            }
        }, out::collect, dl -> out.collect(ResolvedEvent.rejected(dl)));
    }

    /** The element-side logic, shared with the static (no control topic) variant. */
    void resolve(RawRecord raw, LabelSetResolution.Store store, java.util.function.Consumer<ResolvedEvent> out,
            java.util.function.Consumer<Output> deadLetters) throws Exception {
        metrics.eventsIn();
        String keyId = raw.key() == null ? null : new String(raw.key(), java.nio.charset.StandardCharsets.UTF_8);
        ImageEvent event;
        try {
            if (raw.value() == null) {
                throw new IllegalArgumentException("the record has no value");
            }
            event = codecs.images().decode(raw.value());
        } catch (SchemaRegistryException e) {
            // unreachable, or refusing the job's credentials: not the record's fault. Fails the task;
            // Flink restarts from the checkpoint and reads the record again.
            throw e;
        } catch (UnresolvableSchemaException e) {
            deadLetters.accept(dead(keyId, raw, e.unknownId() ? DeadLetterReason.UNKNOWN_SCHEMA
                    : DeadLetterReason.INCOMPATIBLE_SCHEMA, e.getMessage(), "deserialize"));
            return;
        } catch (Exception e) {
            deadLetters.accept(dead(keyId, raw, DeadLetterReason.MALFORMED_EVENT,
                    "not an Avro ImageEvent: " + e.getMessage(), "deserialize"));
            return;
        }
        boolean hasImage = event.getImage() != null;
        boolean hasUri = event.getImageUri() != null;
        if (hasImage == hasUri) {
            deadLetters.accept(dead(event.getId(), raw, DeadLetterReason.MALFORMED_EVENT,
                    "exactly one of image and imageUri must be set, got " + (hasImage ? "both" : "neither"), "deserialize"));
            return;
        }
        LabelSetResolution.Result r = resolution.resolve(event.getLabelSetId(), event.getLabels(), store);
        if (!r.ok()) {
            deadLetters.accept(dead(event.getId(), raw, r.reason(), r.message(), "resolve"));
            return;
        }
        if (!LabelSet.INLINE_ID.equals(r.set().id())) {
            versions.put(r.set().id(), r.set().version()); // also right after a restore, before any update
        }
        out.accept(new ResolvedEvent(event.getId(), raw.source(), raw.value(), event.getImageUri(), r.set(),
                event.getMetadata(), event.getEventTime().toEpochMilli(), null));
    }

    private Output dead(String id, RawRecord raw, DeadLetterReason reason, String message, String stage) {
        return codecs.deadLetter(raw, id, reason, message, stage);
    }

    @Override
    public void processBroadcastElement(RawRecord control, Context ctx, Collector<ResolvedEvent> out)
            throws Exception {
        BroadcastState<String, LabelSet> state = ctx.getBroadcastState(STATE);
        LabelSetUpdate update;
        LabelSet applied;
        try {
            update = decode(control);
            if (update == null) {
                return; // a tombstone without a key: nothing to delete
            }
            applied = resolution.apply(update, new LabelSetResolution.Store() {
                @Override
                public LabelSet get(String id) throws Exception {
                    return state.get(id);
                }

                @Override
                public void put(String id, LabelSet set) throws Exception {
                    state.put(id, set);
                }
            });
        } catch (LabelSetException invalid) {
            if (getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0) {
                LOG.warn("Refused {}; the previous version stays in force", invalid.getMessage());
                metrics.labelSetUpdateRefused();
                out.collect(ResolvedEvent.rejected(codecs.refusedUpdate(control, invalid.getMessage())));
            }
            return;
        }
        if (applied == null) {
            LOG.info("Ignored label-set update {} version {} (not newer than the set in force)",
                    update.getId(), update.getVersion());
        } else {
            versions.put(applied.id(), applied.deleted() ? -applied.version() : applied.version());
            LOG.info("Label set {} is now version {}{}", applied.id(), applied.version(), applied.deleted() ? " (deleted)" : "");
        }
    }

    /**
     * The update a control record carries: its Avro value, or a deletion for a Kafka tombstone (key =
     * set id, no value); null for a tombstone without a key.
     *
     * @throws LabelSetException the value is not an Avro LabelSetUpdate
     */
    private LabelSetUpdate decode(RawRecord control) {
        if (control.value() == null) {
            return control.key() == null ? null : LabelSetUpdate.newBuilder()
                    .setId(new String(control.key(), java.nio.charset.StandardCharsets.UTF_8)).setVersion(-1).setDeleted(true).build();
        }
        try {
            return codecs.updates().decode(control.value());
        } catch (SchemaRegistryException e) {
            throw e; // the registry's trouble, not the update's: fails the task, the update is read again
        } catch (Exception e) {
            throw new LabelSetException("label-set update at " + control.topic() + "-" + control.partition() + "@"
                    + control.offset() + ": not an Avro LabelSetUpdate: " + e.getMessage(), e);
        }
    }
}
