package dev.siglipstream.stream.operator;

import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.LabelScore;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.flink.ScoredImage;
import dev.siglipstream.flink.ScoredLabel;
import dev.siglipstream.flink.ScoringFailure;
import dev.siglipstream.flink.ScoringOutcome;
import dev.siglipstream.flink.SiglipScoring;
import dev.siglipstream.flink.SiglipScoringFunction;
import dev.siglipstream.stream.model.ModelLoader;
import dev.siglipstream.stream.model.ModelSpec;
import dev.siglipstream.stream.registry.SchemaRegistryException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.streaming.api.functions.async.CollectionSupplier;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's async scoring step: the public {@link SiglipScoringFunction} over {@link ResolvedEvent}s,
 * with the job's Avro around it. The inline image is decoded again from the event's Avro bytes where
 * it is needed; each scored image is encoded as a {@link LabelScoreEvent} for its label set's topic
 * (on the scoring's finishing pool, where the result completes), and each failure as a dead letter
 * naming its reason and stage. Events the resolver already refused pass straight through, so dead
 * letters take the same chain to the sink as scores.
 *
 * <p>A {@link SchemaRegistryException} while reading an image again fails the task (the registry's
 * trouble, not the event's). Inference failures complete with a retryable INFERENCE_FAILED dead letter,
 * which the async operator's retry strategy re-runs; when attempts run out that dead letter is emitted.
 */
public final class ImageScoringFunction extends RichAsyncFunction<ResolvedEvent, Output> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ImageScoringFunction.class);

    /**
     * Settings of the scoring step that are not the model's.
     *
     * @param pixelBudget decoded pixels (width x height, from the header) above which an image is
     *     IMAGE_OVER_BUDGET: the most one image may cost the real-time path
     */
    public record Settings(
            String defaultOutputTopic,
            float defaultThreshold,
            boolean emitEmbedding,
            long maxImagePixels,
            int maxImageBytes,
            long pixelBudget,
            ImageSource imageSource) implements java.io.Serializable {}

    /** Where images given by URI come from (the fetcher, with its allowlist and limits). */
    @FunctionalInterface
    public interface ImageSource extends dev.siglipstream.flink.ImageSource {}

    private final Settings settings;
    private final Codecs codecs;
    private final SiglipScoringFunction<ResolvedEvent> scoring;

    public ImageScoringFunction(ModelSpec spec, ModelLoader loader, Settings settings, Codecs codecs) {
        this.settings = settings;
        this.codecs = codecs;
        this.scoring = SiglipScoring.<ResolvedEvent>builder()
                .modelSpec(spec, loader)
                .labelSet(event -> event.labelSet().candidates())
                .imageUri(ResolvedEvent::imageUri)
                .imageBytes(new InlineImage(codecs))
                .imageSource(settings.imageSource())
                .elementId(ResolvedEvent::eventId)
                .failTaskOn(SchemaRegistryException.class)
                .threshold(settings.defaultThreshold())
                .emitEmbedding(settings.emitEmbedding())
                .maxImagePixels(settings.maxImagePixels())
                .maxImageBytes(settings.maxImageBytes())
                .pixelBudget(settings.pixelBudget())
                .build()
                .function();
    }

    /** The inline image, read again from the event's Avro bytes; what goes wrong there is named as such. */
    private record InlineImage(Codecs codecs) implements dev.siglipstream.flink.SerializableFunction<ResolvedEvent, byte[]> {
        @Override
        public byte[] apply(ResolvedEvent event) {
            try {
                return event.image(codecs);
            } catch (SchemaRegistryException e) {
                throw e; // the registry's trouble, not the event's: fails the task
            } catch (Exception e) {
                throw new IllegalStateException("the event decoded once and not again: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public void setRuntimeContext(RuntimeContext context) {
        super.setRuntimeContext(context);
        scoring.setRuntimeContext(context);
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        scoring.open(openContext);
    }

    @Override
    public void close() {
        scoring.close();
    }

    @Override
    public void asyncInvoke(ResolvedEvent event, ResultFuture<Output> resultFuture) {
        if (event.deadLetter() != null) {
            resultFuture.complete(Collections.singletonList(event.deadLetter()));
            return;
        }
        scoring.asyncInvoke(event, new Encoding(event, resultFuture));
    }

    @Override
    public void timeout(ResolvedEvent event, ResultFuture<Output> resultFuture) {
        if (event.deadLetter() != null) {
            resultFuture.complete(Collections.singletonList(event.deadLetter()));
            return;
        }
        scoring.timeout(event, new Encoding(event, resultFuture));
    }

    /**
     * The encoded output of one outcome: a scored event for the label set's topic (or the default), or
     * a dead letter; an outcome that cannot be encoded becomes an INTERNAL_ERROR dead letter of stage {@code score}.
     */
    private Output encode(ResolvedEvent event, ScoringOutcome<ResolvedEvent> outcome) {
        if (outcome instanceof ScoringFailure<ResolvedEvent> f) {
            return codecs.deadLetter(event, DeadLetterReason.valueOf(f.reason().name()), f.message(), f.stage());
        }
        ScoredImage<ResolvedEvent> img = (ScoredImage<ResolvedEvent>) outcome;
        try {
            return scored(event, img);
        } catch (RuntimeException | Error e) {
            LOG.warn("Event {} failed unexpectedly in stage score", event.eventId(), e);
            return codecs.deadLetter(event, DeadLetterReason.INTERNAL_ERROR, e.toString(), "score");
        }
    }

    private Output scored(ResolvedEvent event, ScoredImage<ResolvedEvent> img) {
        List<LabelScore> ranked = new ArrayList<>(img.labels().size());
        for (ScoredLabel l : img.labels()) {
            ranked.add(new LabelScore(l.label(), l.score(), l.matched()));
        }
        List<Float> embedding = null;
        if (img.embedding() != null) {
            embedding = new ArrayList<>(img.embedding().length);
            for (float f : img.embedding()) {
                embedding.add(f);
            }
        }
        LabelScoreEvent out = LabelScoreEvent.newBuilder()
                .setEventId(event.eventId())
                .setLabelSetId(img.labelSetId())
                .setLabelSetVersion(img.labelSetVersion())
                .setModelId(img.modelId())
                .setScores(ranked)
                .setImageEmbedding(embedding)
                .setTimings(new HashMap<>(img.timings()))
                .setMetadata(event.metadata())
                .setEventTime(Instant.ofEpochMilli(event.eventTime()))
                .setProcessedAt(Instant.now())
                .build();
        String topic = event.labelSet().outputTopic() != null ? event.labelSet().outputTopic() : settings.defaultOutputTopic();
        return codecs.scored(topic, out, event.source());
    }

    /**
     * Flink's result future for one event, fed with encoded outcomes. Equal to another for the same
     * future: the scoring completes a timed-out record once when Flink's timeout comes with the
     * future the attempt was given.
     */
    private final class Encoding implements ResultFuture<ScoringOutcome<ResolvedEvent>> {
        private final ResolvedEvent event;
        private final ResultFuture<Output> target;

        Encoding(ResolvedEvent event, ResultFuture<Output> target) {
            this.event = event;
            this.target = target;
        }

        @Override
        public void complete(Collection<ScoringOutcome<ResolvedEvent>> outcomes) {
            List<Output> out = new ArrayList<>(outcomes.size());
            try {
                for (ScoringOutcome<ResolvedEvent> o : outcomes) {
                    out.add(encode(event, o));
                }
            } catch (Throwable encoding) {
                LOG.error("Event {}: the dead letter for it could not be written", event.eventId(), encoding);
                target.completeExceptionally(encoding);
                return;
            }
            target.complete(out);
        }

        @Override
        public void complete(CollectionSupplier<ScoringOutcome<ResolvedEvent>> supplier) {
            try {
                complete(supplier.get());
            } catch (Exception e) {
                target.completeExceptionally(e);
            }
        }

        @Override
        public void completeExceptionally(Throwable error) {
            target.completeExceptionally(error);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ImageScoringFunction.Encoding e && e.target == target;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(target);
        }
    }
}
