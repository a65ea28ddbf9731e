package dev.siglipstream.flink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.stream.FakeModel;
import java.io.Serializable;
import java.util.List;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithNonKeyedOperator;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/**
 * Label-set updates on the broadcast input: a newer version replaces the set in force (static or
 * earlier update), an older or equal one is ignored, one without labels deletes the set, and an
 * update may add a set; what is in force is kept in broadcast state across a restore.
 */
class LiveLabelSetsTest {
    record Item(String id, String set) implements Serializable {}

    static final CandidateLabels ANIMALS = CandidateLabels.of("animals", "a cat", "a dog");

    private static SiglipScoringBuilder.Settings<Item> settings() {
        SiglipScoring<Item> scoring = SiglipScoring.<Item>builder().model("fake").modelLoader(FakeModel.loader())
                .labelSets(ANIMALS).labelSetId(Item::set).imageBytes(i -> new byte[0]).build();
        return scoring.settings();
    }

    private static List<Labelled<Item>> out(BroadcastOperatorTestHarness<Item, CandidateLabels, Labelled<Item>> h) {
        return h.extractOutputValues();
    }

    @Test
    void updatesReplaceAddAndDeleteSetsByVersion() throws Exception {
        try (var h = ProcessFunctionTestHarnesses.forBroadcastProcessFunction(new LiveLabelSets<>(settings()), LiveLabelSets.STATE)) {
            h.processElement(new Item("e1", null), 1);
            h.processBroadcastElement(new CandidateLabels("animals", 2, List.of("a bird"), null, null, null), 2);
            h.processElement(new Item("e2", "animals"), 3);
            h.processBroadcastElement(new CandidateLabels("animals", 2, List.of("stale"), null, null, null), 4); // not newer
            h.processBroadcastElement(new CandidateLabels("things", 1, List.of("a sofa"), null, 0.2f, 1), 5);
            h.processElement(new Item("e3", "things"), 6);
            h.processElement(new Item("e4", "animals"), 7);
            h.processBroadcastElement(new CandidateLabels("things", 2, List.of(), null, null, null), 8); // deleted
            h.processElement(new Item("e5", "things"), 9);
            h.processElement(new Item("e6", "plants"), 10);

            List<Labelled<Item>> out = out(h);
            assertThat(out).extracting(l -> l.element().id()).containsExactly("e1", "e2", "e3", "e4", "e5", "e6");
            assertThat(out.get(0).labels()).isEqualTo(ANIMALS);
            assertThat(out.get(1).labels().labels()).containsExactly("a bird");
            assertThat(out.get(1).labels().version()).isEqualTo(2);
            assertThat(out.get(2).labels().labels()).containsExactly("a sofa");
            assertThat(out.get(3).labels().labels()).as("the stale update was ignored").containsExactly("a bird");
            assertThat(out.get(4).labels()).isNull();
            assertThat(out.get(4).reason()).isEqualTo(FailureReason.UNKNOWN_LABEL_SET);
            assertThat(out.get(4).message()).isEqualTo("no label set 'things' (known: animals)");
            assertThat(out.get(5).message()).isEqualTo("no label set 'plants' (known: animals)");
        }
    }

    @Test
    void theSetsInForceSurviveARestore() throws Exception {
        org.apache.flink.runtime.checkpoint.OperatorSubtaskState snapshot;
        try (var h = ProcessFunctionTestHarnesses.forBroadcastProcessFunction(new LiveLabelSets<>(settings()), LiveLabelSets.STATE)) {
            h.processBroadcastElement(new CandidateLabels("animals", 3, List.of("a fish"), null, null, null), 1);
            snapshot = h.snapshot(1, 2);
        }
        try (var h = new BroadcastOperatorTestHarness<Item, CandidateLabels, Labelled<Item>>(
                new CoBroadcastWithNonKeyedOperator<>(new LiveLabelSets<>(settings()), List.of(LiveLabelSets.STATE)), 1, 1, 0)) {
            h.setup();
            h.initializeState(snapshot);
            h.open();
            h.processElement(new Item("after", "animals"), 3);
            assertThat(out(h).get(0).labels().labels()).containsExactly("a fish");
        }
    }
}
