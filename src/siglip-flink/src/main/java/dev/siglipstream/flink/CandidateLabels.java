package dev.siglipstream.flink;

import dev.siglipstream.siglip.pipeline.ZeroShotImageClassifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.flink.annotation.PublicEvolving;

/**
 * A label set to score images against: candidate labels, the hypothesis template they are put in,
 * the threshold for "matched" and how many of the best scores to keep.
 *
 * <pre>{@code
 * CandidateLabels animals = CandidateLabels.of("animals", "a cat", "a dog", "a bird");
 * }</pre>
 *
 * @param id the id elements refer to (and that results carry)
 * @param version reported with every result scored against this set
 * @param labels candidate labels in order (kept as an {@link ArrayList}: Flink copies it with Kryo)
 * @param template hypothesis template with one {@code {}}; null means the zero-shot pipeline's default
 * @param threshold score at or above which a label is matched; null means the scoring's default
 * @param topK keep only the best k labels; null keeps all
 */
@PublicEvolving
public record CandidateLabels(String id, long version, List<String> labels, String template, Float threshold, Integer topK)
        implements java.io.Serializable {

    /** The zero-shot pipeline's default hypothesis template. */
    public static final String DEFAULT_TEMPLATE = ZeroShotImageClassifier.DEFAULT_TEMPLATE;

    public CandidateLabels {
        Objects.requireNonNull(id, "id");
        labels = labels == null ? new ArrayList<>() : new ArrayList<>(labels);
    }

    /** A set at version 1 with the default template, threshold and no top-k. */
    public static CandidateLabels of(String id, String... labels) {
        return new CandidateLabels(id, 1L, List.of(labels), null, null, null);
    }

    /** The hypotheses fed to the text tower: each label through the template. */
    public List<String> hypotheses() {
        String t = template == null ? DEFAULT_TEMPLATE : template;
        List<String> out = new ArrayList<>(labels.size());
        for (String label : labels) {
            out.add(ZeroShotImageClassifier.hypothesis(t, label));
        }
        return out;
    }
}
