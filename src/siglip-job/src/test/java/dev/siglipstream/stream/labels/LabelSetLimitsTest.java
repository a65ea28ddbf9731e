package dev.siglipstream.stream.labels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.LabelSetUpdate;
import dev.siglipstream.siglip.pipeline.ZeroShotImageClassifier;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A label set is checked completely when it arrives — in the file, on the control topic, inline —
 * so nothing the job accepted can fail later, when it is formatted or written.
 */
class LabelSetLimitsTest {
    private static final LabelSetLimits LIMITS = new LabelSetLimits(5, 10, 3);

    private static LabelSet set(List<String> labels, String template, String topic) {
        return new LabelSet("animals", 2, labels, template, null, null, topic, false);
    }

    private final MapStore store = new MapStore();
    private final Map<String, LabelSet> live = store.live;

    @Test
    void aTemplateIsParsedByTheFormatterThatFillsIt() {
        // "{}" is there, so a contains("{}") check passed this; the formatter throws on the lone '{'.
        String bad = "{} {{}} %s %n {0} {";
        assertThatThrownBy(() -> ZeroShotImageClassifier.hypothesis(bad, "cat")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LIMITS.check(set(List.of("cat"), bad, null), "u"))
                .isInstanceOf(LabelSetException.class)
                .hasMessage("u.template '" + bad + "' cannot be used: template has an unmatched '{' (use {{ or }}): " + bad);
        assertThatThrownBy(() -> LIMITS.check(set(List.of("cat"), "{} and {}", null), "u"))
                .hasMessageContaining("u.template '{} and {}' cannot be used: template has more than one {}");
        assertThatThrownBy(() -> LIMITS.check(set(List.of("cat"), "a {{}} photo", null), "u"))
                .hasMessage("u.template must contain one '{}' for the label, got 'a {{}} photo'");
        assertThatCode(() -> LIMITS.check(set(List.of("cat"), "{{literal}} %s {} %n", null), "u")).doesNotThrowAnyException();
    }

    @Test
    void anOutputTopicFollowsKafkasTopicNameRules() {
        assertThatThrownBy(() -> LIMITS.check(set(List.of("cat"), null, "bad topic!!"), "u"))
                .hasMessageStartingWith("u.output-topic 'bad topic!!' is not a valid Kafka topic name: ");
        assertThatThrownBy(() -> LIMITS.check(set(List.of("cat"), null, ".."), "u")).hasMessageContaining("output-topic '..'");
        assertThatThrownBy(() -> LIMITS.check(set(List.of("cat"), null, "t".repeat(250)), "u"))
                .hasMessageContaining("is not a valid Kafka topic name");
        assertThatCode(() -> LIMITS.check(set(List.of("cat"), null, "animal-scores.v2_x"), "u")).doesNotThrowAnyException();
    }

    @Test
    void labelsVersionsAndScoringFieldsAreWithinLimits() {
        assertThatThrownBy(() -> LIMITS.check(set(List.of("a", "b", "c", "d", "e", "f"), null, null), "u"))
                .hasMessage("u.labels has 6 labels, the limit is 5 (siglip.label-sets.max-labels)");
        assertThatThrownBy(() -> LIMITS.check(set(List.of("a", "elevenchars"), null, null), "u"))
                .hasMessage("u.labels[1] has 11 characters, the limit is 10 (siglip.label-sets.max-label-length)");
        assertThatThrownBy(() -> LIMITS.check(set(List.of("a", " "), null, null), "u")).hasMessage("u.labels[1] must be a non-empty string");
        assertThatThrownBy(() -> LIMITS.check(new LabelSet("a", -2, List.of("x"), null, null, null, null, false), "u"))
                .hasMessage("u.version must be >= 0, got -2");
        assertThatThrownBy(() -> LIMITS.check(new LabelSet("a", 1, List.of("x"), null, Float.NaN, null, null, false), "u"))
                .hasMessage("u.threshold must be a number in [0, 1], got NaN");
        assertThatThrownBy(() -> LIMITS.check(new LabelSet("a", 1, List.of("x"), null, null, 0, null, false), "u"))
                .hasMessage("u.top-k must be an integer >= 1, got 0");
        assertThatThrownBy(() -> LIMITS.check(new LabelSet("inline", 1, List.of("x"), null, null, null, null, false), "u"))
                .hasMessageContaining("reserved");
        // A deletion carries nothing else that is used.
        assertThatCode(() -> LIMITS.check(new LabelSet("a", 3, List.of(), "{", null, null, "bad topic!!", true), "u"))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> LIMITS.checkInline(List.of("a", "b", "c", "d"), "inline"))
                .hasMessage("inline has 4 labels, the limit is 3 (siglip.label-sets.max-inline-labels)");
    }

    @Test
    void anInvalidUpdateIsRefusedAndThePreviousVersionStaysInForce() throws Exception {
        LabelSetResolution resolution = new LabelSetResolution(
                List.of(new LabelSet("animals", 1, List.of("cat", "dog"), null, null, null, null, false)), null, LIMITS);
        List<LabelSetUpdate> bad = List.of(
                set(List.of("cat"), "{} {{}} %s %n {0} {", null).toUpdate(),
                set(List.of("cat"), null, "bad topic!!").toUpdate(),
                set(Collections.nCopies(20_000, "cat"), null, null).toUpdate());
        for (LabelSetUpdate u : bad) {
            assertThatThrownBy(() -> resolution.apply(u, store)).isInstanceOf(LabelSetException.class)
                    .hasMessageStartingWith("label-set update 'animals' version ");
        }
        assertThatThrownBy(() -> resolution.apply(new LabelSet("fresh", -5, List.of("cat"), null, null, null, null, false).toUpdate(), store))
                .hasMessage("label-set update 'fresh' version -5.version must be >= 0, got -5");
        assertThat(live).isEmpty();
        assertThat(resolution.resolve("animals", null, store).set().labels()).containsExactly("cat", "dog");
        // A stale version is ignored without a word (replays of the compacted topic), as before.
        assertThat(resolution.apply(new LabelSet("animals", 1, List.of("x"), "{", null, null, null, false).toUpdate(), store)).isNull();
        assertThat(resolution.apply(set(List.of("cat", "dog", "bird"), "a {}", "ok-topic").toUpdate(), store).version()).isEqualTo(2);
    }

    @Test
    void tooManyOrTooLongInlineLabelsMakeAnInvalidLabelSetDeadLetter() throws Exception {
        LabelSetResolution resolution = new LabelSetResolution(List.of(), null, LIMITS);
        LabelSetResolution.Result many = resolution.resolve(null, List.of("a", "b", "c", "d"), store);
        assertThat(many.reason()).isEqualTo(DeadLetterReason.INVALID_LABEL_SET);
        assertThat(many.message()).isEqualTo("the event's inline labels has 4 labels, the limit is 3 (siglip.label-sets.max-inline-labels)");
        assertThat(resolution.resolve(null, List.of("x".repeat(11)), store).reason()).isEqualTo(DeadLetterReason.INVALID_LABEL_SET);
        assertThat(resolution.resolve(null, List.of("a", "b", "c"), store).ok()).isTrue();
    }

    @Test
    void theFileGetsTheSameChecksAtStartNamingTheSetAndTheField() {
        assertThatThrownBy(() -> parse("label-sets:\n  - id: x\n    labels: [a]\n    template: \"{} {{}} %s %n {0} {\"\n"))
                .hasMessageStartingWith("sets.yaml: label-sets[0] (id 'x').template '{} {{}} %s %n {0} {' cannot be used: ");
        assertThatThrownBy(() -> parse("label-sets:\n  - id: ok\n    labels: [a]\n  - id: y\n    labels: [a]\n    output-topic: bad topic!!\n"))
                .hasMessageStartingWith("sets.yaml: label-sets[1] (id 'y').output-topic 'bad topic!!' is not a valid Kafka topic name");
        StringBuilder big = new StringBuilder("label-sets:\n  - id: big\n    labels:\n");
        for (int i = 0; i < 6; i++) {
            big.append("      - l").append(i).append('\n');
        }
        assertThatThrownBy(() -> parse(big.toString()))
                .hasMessage("sets.yaml: label-sets[0] (id 'big').labels has 6 labels, the limit is 5 (siglip.label-sets.max-labels)");
        assertThat(LabelSetFile.parse(new ByteArrayInputStream(big.toString().getBytes(StandardCharsets.UTF_8)), "sets.yaml"))
                .singleElement().extracting(s -> s.labels().size()).isEqualTo(6); // within the defaults
    }

    @Test
    void theScoredLabelBoundCoversTheLargestSetOrInlineList() {
        assertThat(new LabelSetLimits(2000, 128, 100).maxScoredLabelBytes()).isEqualTo(2000L * (3 * 128 + 8));
        assertThat(new LabelSetLimits(10, 128, 100).maxScoredLabelBytes()).isEqualTo(100L * (3 * 128 + 8));
        assertThatThrownBy(() -> new LabelSetLimits(0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    private static List<LabelSet> parse(String yaml) {
        return LabelSetFile.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "sets.yaml", LIMITS);
    }
}
