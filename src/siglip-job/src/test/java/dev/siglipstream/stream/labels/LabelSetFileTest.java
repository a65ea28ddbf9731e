package dev.siglipstream.stream.labels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class LabelSetFileTest {

    private static List<LabelSet> parse(String yaml) {
        return LabelSetFile.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "sets.yaml");
    }

    @Test
    void readsEveryField() {
        List<LabelSet> sets = parse("""
                label-sets:
                  - id: animals
                    labels: [cat, dog, "bird"]
                    template: "a photo of a {}"
                    threshold: 0.25
                    top-k: 2
                    output-topic: animal-scores
                    version: 3
                  - id: scenes
                    labels:
                      - beach
                      - city
                """);
        assertThat(sets).hasSize(2);
        LabelSet a = sets.get(0);
        assertThat(a).isEqualTo(new LabelSet("animals", 3, List.of("cat", "dog", "bird"), "a photo of a {}", 0.25f, 2,
                "animal-scores", false));
        assertThat(a.hypotheses()).containsExactly("a photo of a cat", "a photo of a dog", "a photo of a bird");
        LabelSet s = sets.get(1);
        assertThat(s.version()).isEqualTo(1);
        assertThat(s.threshold()).isNull();
        assertThat(s.topK()).isNull();
        assertThat(s.hypotheses()).containsExactly("This is a photo of beach.", "This is a photo of city.");
    }

    @Test
    void errorsNameTheFileTheFieldAndTheValue() {
        assertThatThrownBy(() -> parse("sets: []")).hasMessage("sets.yaml: expected a top-level 'label-sets:' list");
        assertThatThrownBy(() -> parse("label-sets: {a: 1}")).hasMessageContaining("'label-sets' must be a list, got OBJECT");
        assertThatThrownBy(() -> parse("label-sets:\n  - labels: [a]\n")).hasMessage("sets.yaml: label-sets[0].id is required");
        assertThatThrownBy(() -> parse("label-sets:\n  - id: x\n    labels: a\n"))
                .hasMessage("sets.yaml: label-sets[0].labels must be a list of strings, got STRING");
        assertThatThrownBy(() -> parse("label-sets:\n  - id: x\n    labels: [a, '']\n"))
                .hasMessageContaining("label-sets[0].labels[1] must be a non-empty string");
        assertThatThrownBy(() -> parse("label-sets:\n  - id: x\n    labels: [a]\n    threshold: 1.5\n"))
                .hasMessage("sets.yaml: label-sets[0].threshold must be a number in [0, 1], got 1.5");
        assertThatThrownBy(() -> parse("label-sets:\n  - id: x\n    labels: [a]\n    top-k: 0\n"))
                .hasMessage("sets.yaml: label-sets[0].top-k must be an integer >= 1, got 0");
        assertThatThrownBy(() -> parse("label-sets:\n  - id: x\n    labels: [a]\n    template: no placeholder\n"))
                .hasMessage("sets.yaml: label-sets[0] (id 'x').template must contain one '{}' for the label, got 'no placeholder'");
        assertThatThrownBy(() -> parse("label-sets:\n  - id: x\n    labels: [a]\n    topk: 3\n"))
                .hasMessageContaining("label-sets[0]: unknown field 'topk'");
        assertThatThrownBy(() -> parse("label-sets:\n  - id: x\n    labels: [a]\n  - id: x\n    labels: [b]\n"))
                .hasMessage("sets.yaml: label-sets[1].id 'x' is defined twice");
        assertThatThrownBy(() -> parse("label-sets:\n  - id: inline\n    labels: [a]\n"))
                .hasMessageContaining("reserved");
        assertThatThrownBy(() -> parse("label-sets: [\n")).hasMessageStartingWith("sets.yaml: not valid YAML");
    }
}
