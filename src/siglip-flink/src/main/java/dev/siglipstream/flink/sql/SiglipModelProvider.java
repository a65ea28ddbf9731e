package dev.siglipstream.flink.sql;

import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.functions.PredictFunction;
import org.apache.flink.table.ml.AsyncPredictRuntimeProvider;
import org.apache.flink.table.ml.ModelProvider;
import org.apache.flink.table.ml.PredictRuntimeProvider;

/**
 * Both runtimes of a SigLIP SQL model. The planner prefers the async one (images from every record in
 * flight gather into batches); {@code MAP['async', 'false']} in ML_PREDICT picks the synchronous one,
 * which waits for each image's batch in turn.
 */
final class SiglipModelProvider implements AsyncPredictRuntimeProvider, PredictRuntimeProvider {
    private final PredictSettings settings;

    SiglipModelProvider(PredictSettings settings) {
        this.settings = settings;
    }

    PredictSettings settings() {
        return settings;
    }

    @Override
    public AsyncPredictFunction createAsyncPredictFunction(Context context) {
        return new SiglipAsyncPredictFunction(settings);
    }

    @Override
    public PredictFunction createPredictFunction(Context context) {
        return new SiglipPredictFunction(settings);
    }

    @Override
    public ModelProvider copy() {
        return new SiglipModelProvider(settings);
    }
}
