package dev.siglipstream.flink;

import java.io.Serializable;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.flink.annotation.Internal;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.GenericTypeInfo;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.async.AsyncFunction;
import org.apache.flink.streaming.api.functions.async.AsyncRetryStrategy;
import org.apache.flink.streaming.util.retryable.AsyncRetryStrategies;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * SigLIP zero-shot image scoring as a step of your own Flink job: any element type in, a
 * {@link ScoredImage} per element out, and a {@link ScoringFailure} (with its reason) on a side
 * output for each element that could not be scored. Images are micro-batched per task manager
 * through one shared model session.
 *
 * <pre>{@code
 * SiglipScoring<Photo> scoring = SiglipScoring.<Photo>builder()
 *         .model("/models/siglip-base-patch16-224")
 *         .labelSets(CandidateLabels.of("animals", "a cat", "a dog"))
 *         .imageBytes(Photo::jpeg)
 *         .maxBatchSize(16)
 *         .maxBatchDelay(Duration.ofMillis(20))
 *         .build();
 * SingleOutputStreamOperator<ScoredImage<Photo>> scored = scoring.apply(photos);
 * DataStream<ScoringFailure<Photo>> failed = scored.getSideOutput(scoring.failures());
 * }</pre>
 *
 * @param <T> the input element type
 */
@PublicEvolving
public final class SiglipScoring<T> implements Serializable {
    private static final long serialVersionUID = 1L;

    private final SiglipScoringBuilder.Settings<T> settings;
    private final Duration timeout;
    private final int capacity;
    private final boolean ordered;
    private final int retries;
    private final Duration retryDelay;
    private final OutputTag<ScoringFailure<T>> failures;

    SiglipScoring(SiglipScoringBuilder.Settings<T> settings, Duration timeout, int capacity, boolean ordered, int retries,
            Duration retryDelay) {
        this.settings = settings;
        this.timeout = timeout;
        this.capacity = capacity;
        this.ordered = ordered;
        this.retries = retries;
        this.retryDelay = retryDelay;
        this.failures = new OutputTag<>("siglip-scoring-failures", KryoTypes.<ScoringFailure<T>>generic(ScoringFailure.class));
    }

    /** A builder for elements of type {@code T}: {@code SiglipScoring.<MyEvent>builder()}. */
    public static <T> SiglipScoringBuilder<T> builder() {
        return new SiglipScoringBuilder<>();
    }

    /**
     * Scores {@code input}: the async scoring operator (unordered unless {@link SiglipScoringBuilder#ordered}),
     * then the split of its outcomes. Failures are on {@code result.getSideOutput(failures())}.
     */
    public SingleOutputStreamOperator<ScoredImage<T>> apply(DataStream<T> input) {
        return outcomes(input).process(new Split<T, T>(failures, null), KryoTypes.<ScoredImage<T>>generic(ScoredImage.class))
                .name("siglip-split-failures");
    }

    /**
     * As {@link #apply(DataStream)}, with the static label sets changed while the job runs by
     * {@code updates} (broadcast to every subtask and kept in broadcast state, so they survive a
     * restore): an update replaces the set of its id when its version is newer than the one in force,
     * and one without labels deletes the set (elements naming it then fail as UNKNOWN_LABEL_SET). An
     * element is scored with the sets in force when it reaches the operator that picks its set.
     */
    public SingleOutputStreamOperator<ScoredImage<T>> apply(DataStream<T> input, DataStream<CandidateLabels> updates) {
        if (settings.labelSet() != null) {
            throw new IllegalStateException("label-set updates change the labelSets(...); this scoring takes each element's own labelSet(...)");
        }
        SingleOutputStreamOperator<Labelled<T>> labelled = input.connect(updates.broadcast(LiveLabelSets.STATE))
                .process(new LiveLabelSets<>(settings), KryoTypes.<Labelled<T>>generic(Labelled.class))
                .name("siglip-label-sets");
        SingleOutputStreamOperator<ScoringOutcome<Labelled<T>>> outcomes = asyncWait(labelled,
                new SiglipScoringFunction<>(settings.labelled()), timeout, capacity, ordered, retries, retryDelay, new Retryable<>())
                .name("siglip-score").returns(KryoTypes.<ScoringOutcome<Labelled<T>>>generic(ScoringOutcome.class));
        return outcomes.process(new Split<Labelled<T>, T>(failures, Labelled::element),
                KryoTypes.<ScoredImage<T>>generic(ScoredImage.class)).name("siglip-split-failures");
    }

    /** The async scoring operator alone: one {@link ScoringOutcome} per element, scored or failed. */
    public SingleOutputStreamOperator<ScoringOutcome<T>> outcomes(DataStream<T> input) {
        return asyncWait(input, function(), timeout, capacity, ordered, retries, retryDelay, new Retryable<>())
                .name("siglip-score").returns(KryoTypes.<ScoringOutcome<T>>generic(ScoringOutcome.class));
    }

    /**
     * {@code f} as the async operator over {@code input}: ordered or not, with up to {@code retries} retries
     * {@code retryDelay} apart of the attempts whose results {@code retryIf} accepts (Flink counts retries,
     * not attempts).
     */
    @Internal
    public static <I, O> SingleOutputStreamOperator<O> asyncWait(DataStream<I> input, AsyncFunction<I, O> f, Duration timeout,
            int capacity, boolean ordered, int retries, Duration retryDelay, Predicate<Collection<O>> retryIf) {
        long ms = timeout.toMillis();
        if (retries > 0) {
            AsyncRetryStrategy<O> retry = new AsyncRetryStrategies.FixedDelayRetryStrategyBuilder<O>(retries, retryDelay.toMillis())
                    .ifResult(retryIf)
                    .build();
            return ordered
                    ? AsyncDataStream.orderedWaitWithRetry(input, f, ms, TimeUnit.MILLISECONDS, capacity, retry)
                    : AsyncDataStream.unorderedWaitWithRetry(input, f, ms, TimeUnit.MILLISECONDS, capacity, retry);
        }
        return ordered
                ? AsyncDataStream.orderedWait(input, f, ms, TimeUnit.MILLISECONDS, capacity)
                : AsyncDataStream.unorderedWait(input, f, ms, TimeUnit.MILLISECONDS, capacity);
    }

    /** The scoring as an async function, for {@code AsyncDataStream} with settings of your own. */
    public SiglipScoringFunction<T> function() {
        return new SiglipScoringFunction<>(settings);
    }

    /** The side output of {@link #apply}'s failures. */
    public OutputTag<ScoringFailure<T>> failures() {
        return failures;
    }

    /** The settings as built (for tests of the package). */
    SiglipScoringBuilder.Settings<T> settings() {
        return settings;
    }

    /** Flink's async timeout of {@link #apply}. */
    public Duration timeout() {
        return timeout;
    }

    /** Kryo-serialized type information of the (generic) scoring values. */
    static final class KryoTypes {
        private KryoTypes() {}

        @SuppressWarnings({"unchecked", "rawtypes"})
        static <X> TypeInformation<X> generic(Class<?> type) {
            return (TypeInformation) new GenericTypeInfo<>(type);
        }
    }

    /**
     * Scored images to the main output, failures to the side output; with {@code unwrap}, the outcome's
     * element is unwrapped first (null: the outcomes are over the user's elements already).
     */
    private static final class Split<I, T> extends ProcessFunction<ScoringOutcome<I>, ScoredImage<T>> {
        private static final long serialVersionUID = 1L;
        private final OutputTag<ScoringFailure<T>> failures;
        private final SerializableFunction<I, T> unwrap;

        Split(OutputTag<ScoringFailure<T>> failures, SerializableFunction<I, T> unwrap) {
            this.failures = failures;
            this.unwrap = unwrap;
        }

        @Override
        @SuppressWarnings("unchecked")
        public void processElement(ScoringOutcome<I> outcome, Context ctx, Collector<ScoredImage<T>> out) throws Exception {
            if (outcome instanceof ScoredImage<I> s) {
                out.collect(unwrap == null ? (ScoredImage<T>) s : new ScoredImage<>(unwrap.apply(s.element()), s.labelSetId(),
                        s.labelSetVersion(), s.modelId(), s.labels(), s.embedding(), s.timings()));
            } else {
                ScoringFailure<I> f = (ScoringFailure<I>) outcome;
                ctx.output(failures, unwrap == null ? (ScoringFailure<T>) f
                        : new ScoringFailure<>(unwrap.apply(f.element()), f.reason(), f.stage(), f.message()));
            }
        }
    }

    /** Retry when the attempt ended as an inference failure (Flink counts retries, not attempts). */
    private static final class Retryable<T> implements Predicate<Collection<ScoringOutcome<T>>>, Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public boolean test(Collection<ScoringOutcome<T>> results) {
            return results.stream().anyMatch(r -> r instanceof ScoringFailure<T> f && f.retryable());
        }
    }
}
