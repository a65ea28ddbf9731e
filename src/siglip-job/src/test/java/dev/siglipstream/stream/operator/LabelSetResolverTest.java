package dev.siglipstream.stream.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.events.LabelSetUpdate;
import dev.siglipstream.stream.labels.LabelSet;
import dev.siglipstream.stream.labels.LabelSetResolution;
import dev.siglipstream.stream.serde.AvroCodec;
import dev.siglipstream.stream.serde.WireFormat;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithNonKeyedOperator;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/** The resolver as Flink runs it: broadcast state, dead letters in the output stream, snapshot and restore. */
class LabelSetResolverTest {
    private static final Codecs CODECS = new Codecs(WireFormat.PLAIN, 0, "dead");
    private static final AvroCodec<ImageEvent> IMAGES = AvroCodec.plain(ImageEvent.class);

    private static LabelSetResolution resolution() {
        return new LabelSetResolution(
                List.of(new LabelSet("animals", 1, List.of("cat", "dog"), null, null, null, "animal-topic", false)), null);
    }

    private static LabelSetResolver resolver() {
        return new LabelSetResolver(resolution(), CODECS);
    }

    private static RawRecord event(String id, String set) {
        ImageEvent e = ImageEvent.newBuilder().setId(id).setImage(ByteBuffer.wrap(new byte[] {1, 2, 3}))
                .setLabelSetId(set).setMetadata(Map.of("k", "v")).setEventTime(Instant.ofEpochMilli(42)).build();
        return new RawRecord("images", id.getBytes(StandardCharsets.UTF_8), IMAGES.encode(e));
    }

    private static LabelSetUpdate updateOf(String id, long version, List<String> labels, boolean deleted) {
        return LabelSetUpdate.newBuilder().setId(id).setVersion(version).setLabels(labels).setDeleted(deleted).build();
    }

    private static RawRecord update(String id, long version, List<String> labels, boolean deleted) {
        return control(updateOf(id, version, labels, deleted), 0);
    }

    /** A control-topic record carrying {@code u}, keyed by its set id, at {@code offset}. */
    private static RawRecord control(LabelSetUpdate u, long offset) {
        return new RawRecord("control", 0, offset, u.getId().getBytes(StandardCharsets.UTF_8), CODECS.updates().encode(u));
    }

    private static List<ResolvedEvent> resolved(BroadcastOperatorTestHarness<RawRecord, RawRecord, ResolvedEvent> h) {
        return h.extractOutputValues().stream().filter(e -> e.deadLetter() == null).toList();
    }

    /** Refused events come out in the same stream, as dead letters only. */
    private static List<DeadLetter> dead(BroadcastOperatorTestHarness<RawRecord, RawRecord, ResolvedEvent> h)
            throws Exception {
        List<DeadLetter> out = new java.util.ArrayList<>();
        for (ResolvedEvent e : h.extractOutputValues()) {
            if (e.deadLetter() != null) {
                assertThat(e.eventId()).isNull();
                assertThat(e.deadLetter().topic()).isEqualTo("dead");
                out.add(CODECS.deadLetters().decode(e.deadLetter().value()));
            }
        }
        return out;
    }

    @Test
    void resolvesStaticSetsAndAppliesUpdatesAndDeletions() throws Exception {
        try (var h = ProcessFunctionTestHarnesses.forBroadcastProcessFunction(resolver(), LabelSetResolver.STATE)) {
            h.processElement(event("e1", "animals"), 1);
            h.processBroadcastElement(update("animals", 2, List.of("cat", "dog", "bird"), false), 2);
            h.processElement(event("e2", null), 3);
            h.processBroadcastElement(update("animals", 1, List.of("stale"), false), 4); // ignored: not newer
            h.processElement(event("e3", "animals"), 5);
            h.processBroadcastElement(update("animals", 3, List.of(), true), 6);
            h.processElement(event("e4", "animals"), 7);
            h.processElement(new RawRecord("images", "e5".getBytes(StandardCharsets.UTF_8), new byte[] {9, 9, 9}), 8);

            List<ResolvedEvent> out = resolved(h);
            assertThat(out).extracting(ResolvedEvent::eventId).containsExactly("e1", "e2", "e3");
            assertThat(out.get(0).labelSet().version()).isEqualTo(1);
            assertThat(out.get(1).labelSet().labels()).containsExactly("cat", "dog", "bird");
            assertThat(out.get(2).labelSet().version()).isEqualTo(2);
            assertThat(out.get(0).image(CODECS)).containsExactly(1, 2, 3);
            assertThat(out.get(0).metadata()).containsEntry("k", "v");
            assertThat(out.get(0).eventTime()).isEqualTo(42);

            List<DeadLetter> dead = dead(h);
            assertThat(dead).extracting(DeadLetter::getEventId).containsExactly("e4", "e5");
            assertThat(dead).extracting(DeadLetter::getReason)
                    .containsExactly(DeadLetterReason.UNKNOWN_LABEL_SET, DeadLetterReason.MALFORMED_EVENT);
            assertThat(dead.get(1).getOriginal()).isEqualTo(ByteBuffer.wrap(new byte[] {9, 9, 9}));
            assertThat(dead.get(1).getStage()).isEqualTo("deserialize");
        }
    }

    @Test
    void withoutAControlTopicTheStaticSetsResolveInAOneInputFunction() throws Exception {
        var static_ = new StaticLabelSetResolver(new LabelSetResolution(
                List.of(new LabelSet("animals", 1, List.of("cat", "dog"), null, null, null, "animal-topic", false)), null),
                CODECS);
        try (var h = ProcessFunctionTestHarnesses.forProcessFunction(static_)) {
            h.processElement(event("e1", "animals"), 1);
            h.processElement(event("e2", null), 2);
            h.processElement(event("e3", "plants"), 3);
            h.processElement(new RawRecord("images", "e4".getBytes(StandardCharsets.UTF_8), new byte[] {9}), 4);

            List<ResolvedEvent> all = h.extractOutputValues();
            List<ResolvedEvent> ok = all.stream().filter(e -> e.deadLetter() == null).toList();
            assertThat(ok).extracting(ResolvedEvent::eventId).containsExactly("e1", "e2");
            assertThat(ok).allSatisfy(e -> assertThat(e.labelSet().labels()).containsExactly("cat", "dog"));
            List<DeadLetter> dead = new java.util.ArrayList<>();
            for (ResolvedEvent e : all) {
                if (e.deadLetter() != null) dead.add(CODECS.deadLetters().decode(e.deadLetter().value()));
            }
            assertThat(dead).extracting(DeadLetter::getEventId).containsExactly("e3", "e4");
            assertThat(dead).extracting(DeadLetter::getReason)
                    .containsExactly(DeadLetterReason.UNKNOWN_LABEL_SET, DeadLetterReason.MALFORMED_EVENT);
        }
    }

    @Test
    void anInvalidUpdateIsRefusedWrittenOnceAsADeadLetterAndTheSetStaysInForce() throws Exception {
        LabelSetUpdate badTemplate = LabelSetUpdate.newBuilder(updateOf("animals", 2, List.of("cat"), false))
                .setTemplate("{} {{}} %s %n {0} {").build();
        LabelSetUpdate badTopic = LabelSetUpdate.newBuilder(updateOf("animals", 3, List.of("cat"), false))
                .setOutputTopic("bad topic!!").build();
        LabelSetResolver subtask0 = new LabelSetResolver(resolution(), CODECS);
        try (var h = new BroadcastOperatorTestHarness<>(
                new CoBroadcastWithNonKeyedOperator<>(subtask0, List.of(LabelSetResolver.STATE)), 2, 2, 0)) {
            h.setup();
            h.open();
            h.processBroadcastElement(control(badTemplate, 7), 1);
            h.processBroadcastElement(control(badTopic, 8), 2);
            h.processBroadcastElement(new RawRecord("control", 0, 9, "animals".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2}), 3);
            h.processBroadcastElement(new RawRecord("control", 0, 10, null, null), 4); // a tombstone without a key: nothing
            h.processElement(event("e1", "animals"), 5);
            List<ResolvedEvent> ok = resolved(h);
            assertThat(ok).singleElement().satisfies(e -> {
                assertThat(e.labelSet().version()).isEqualTo(1);
                assertThat(e.labelSet().outputTopic()).isEqualTo("animal-topic");
            });
            List<DeadLetter> dead = dead(h);
            assertThat(dead).extracting(DeadLetter::getReason).containsOnly(DeadLetterReason.INVALID_LABEL_SET).hasSize(3);
            assertThat(dead).extracting(DeadLetter::getSourceOffset).containsExactly(7L, 8L, 9L);
            assertThat(dead).extracting(DeadLetter::getSourcePartition).containsOnly(0);
            assertThat(dead.get(2).getMessage()).startsWith("label-set update at control-0@9: not an Avro LabelSetUpdate: ");
            assertThat(dead.get(0).getMessage()).startsWith("label-set update 'animals' version 2.template '{} {{}} %s %n {0} {' cannot be used");
            assertThat(dead.get(1).getMessage()).startsWith("label-set update 'animals' version 3.output-topic 'bad topic!!'");
            assertThat(dead.get(0).getStage()).isEqualTo("control");
            assertThat(dead.get(0).getSourceTopic()).isEqualTo("control");
            assertThat(dead.get(0).getEventId()).isNull();
            ByteBuffer original = dead.get(0).getOriginal().duplicate();
            byte[] update = new byte[original.remaining()];
            original.get(update);
            assertThat(CODECS.updates().decode(update)).isEqualTo(badTemplate);
            assertThat(h.extractOutputValues().stream().filter(e -> e.deadLetter() != null).map(e -> new String(e.deadLetter().key(), StandardCharsets.UTF_8)))
                    .containsExactly("animals", "animals", "animals");
        }
        // Every subtask sees every update; only subtask 0 writes its dead letter.
        LabelSetResolver subtask1 = new LabelSetResolver(resolution(), CODECS);
        try (var h = new BroadcastOperatorTestHarness<>(
                new CoBroadcastWithNonKeyedOperator<>(subtask1, List.of(LabelSetResolver.STATE)), 2, 2, 1)) {
            h.setup();
            h.open();
            h.processBroadcastElement(control(badTemplate, 7), 1);
            assertThat(h.extractOutputValues()).isEmpty();
        }
    }

    @Test
    void liveSetsSurviveSnapshotAndRestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = ProcessFunctionTestHarnesses.forBroadcastProcessFunction(resolver(), LabelSetResolver.STATE)) {
            h.processBroadcastElement(update("animals", 5, List.of("horse"), false), 1);
            h.processBroadcastElement(update("extra", 1, List.of("tree"), false), 2);
            snapshot = h.snapshot(1, 3);
        }
        try (var restored = new BroadcastOperatorTestHarness<>(
                new CoBroadcastWithNonKeyedOperator<>(resolver(), List.of(LabelSetResolver.STATE)), 1, 1, 0)) {
            restored.setup();
            restored.initializeState(snapshot);
            restored.open();
            restored.processElement(event("a", "animals"), 4);
            restored.processElement(event("b", "extra"), 5);
            List<ResolvedEvent> out = resolved(restored);
            assertThat(out).hasSize(2);
            assertThat(out.get(0).labelSet().version()).isEqualTo(5);
            assertThat(out.get(0).labelSet().labels()).containsExactly("horse");
            assertThat(out.get(1).labelSet().labels()).containsExactly("tree");
        }
    }
}
