package dev.siglipstream.stream.labels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.LabelSetUpdate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelSetResolutionTest {
    private final MapStore store = new MapStore();
    private final Map<String, LabelSet> live = store.live;
    private final LabelSetResolution resolution = new LabelSetResolution(List.of(
            new LabelSet("animals", 1, List.of("cat", "dog"), null, null, null, null, false),
            new LabelSet("empty", 1, List.of(), null, null, null, null, false)), null);

    private static LabelSetUpdate update(String id, long version, List<String> labels, boolean deleted) {
        return LabelSetUpdate.newBuilder().setId(id).setVersion(version).setLabels(labels).setDeleted(deleted).build();
    }

    @Test
    void resolvesStaticDefaultInlineUnknownAndEmpty() throws Exception {
        assertThat(resolution.resolve("animals", null, store).set().labels()).containsExactly("cat", "dog");
        assertThat(resolution.resolve(null, null, store).set().id()).isEqualTo("animals");
        LabelSet inline = resolution.resolve("animals", List.of("car"), store).set();
        assertThat(inline.id()).isEqualTo("inline");
        assertThat(inline.labels()).containsExactly("car");
        assertThat(resolution.resolve("nope", null, store).reason()).isEqualTo(DeadLetterReason.UNKNOWN_LABEL_SET);
        assertThat(resolution.resolve("empty", null, store).reason()).isEqualTo(DeadLetterReason.EMPTY_LABEL_SET);
        assertThat(resolution.resolve("animals", List.of(), store).reason()).isEqualTo(DeadLetterReason.EMPTY_LABEL_SET);
        assertThat(new LabelSetResolution(List.of(), null).resolve(null, null, store).reason())
                .isEqualTo(DeadLetterReason.UNKNOWN_LABEL_SET);
    }

    @Test
    void updatesApplyOnlyWithHigherVersionsAndDeletionsStick() throws Exception {
        assertThat(resolution.apply(update("animals", 1, List.of("x"), false), store)).isNull();
        LabelSet v2 = resolution.apply(update("animals", 2, List.of("cat", "dog", "bird"), false), store);
        assertThat(v2.version()).isEqualTo(2);
        assertThat(resolution.resolve("animals", null, store).set().labels()).containsExactly("cat", "dog", "bird");
        assertThat(resolution.apply(update("animals", 2, List.of("y"), false), store)).isNull();
        assertThat(resolution.apply(update("animals", 3, List.of(), true), store).deleted()).isTrue();
        assertThat(resolution.resolve("animals", null, store).reason()).isEqualTo(DeadLetterReason.UNKNOWN_LABEL_SET);
        // A tombstone (version -1) deletes at the next version; a newer update revives the set.
        resolution.apply(update("new", 5, List.of("a"), false), store);
        assertThat(resolution.apply(update("new", -1, List.of(), true), store).version()).isEqualTo(6);
        resolution.apply(update("new", 7, List.of("b"), false), store);
        assertThat(resolution.resolve("new", null, store).set().labels()).containsExactly("b");
        // An update whose template has no placeholder is refused (see LabelSetLimitsTest for every check).
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> resolution.apply(LabelSetUpdate.newBuilder().setId("t")
                .setVersion(1).setLabels(List.of("a")).setTemplate("no placeholder").build(), store))
                .isInstanceOf(LabelSetException.class).hasMessageContaining("template must contain one '{}'");
        assertThat(live).doesNotContainKey("t");
    }
}
