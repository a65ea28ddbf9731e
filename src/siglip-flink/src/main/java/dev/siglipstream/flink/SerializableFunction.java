package dev.siglipstream.flink;

import java.io.Serializable;
import org.apache.flink.annotation.PublicEvolving;

/**
 * A function that ships with the job graph (so it must be serializable), e.g. {@code MyEvent::imageBytes}.
 * It may throw: the record then becomes a {@link ScoringFailure} (INTERNAL_ERROR, with the exception's
 * message), unless the exception's class was given to {@link SiglipScoringBuilder#failTaskOn}.
 */
@PublicEvolving
@FunctionalInterface
public interface SerializableFunction<I, O> extends Serializable {
    O apply(I input) throws Exception;
}
