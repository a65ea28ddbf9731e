package dev.siglipstream.flink;

import java.util.List;
import java.util.Map;
import org.apache.flink.annotation.PublicEvolving;

/**
 * One image's scores: the input element, the label set it was scored against, the ranked labels,
 * optionally the image embedding, and where the time went.
 *
 * @param element the input element
 * @param labelSetId the label set's id
 * @param labelSetVersion the label set's version
 * @param modelId the model folder or Hub id
 * @param labels the labels, best first (the label set's top-k when it has one)
 * @param embedding the L2-normalised image embedding when {@link SiglipScoringBuilder#emitEmbedding} is on; else null
 * @param timings microseconds per stage, in order: {@code queue} (waiting for pool threads), {@code fetch},
 *     {@code preprocess}, {@code batchWait}, {@code inference} (the whole batch), {@code scoreWait}; they add
 *     up to {@code total}; and {@code batchSize}, the number of images in the batch
 */
@PublicEvolving
public record ScoredImage<T>(T element, String labelSetId, long labelSetVersion, String modelId, List<ScoredLabel> labels,
        float[] embedding, Map<String, Long> timings) implements ScoringOutcome<T> {}
