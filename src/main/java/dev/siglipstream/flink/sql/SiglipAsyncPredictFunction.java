package dev.siglipstream.flink.sql;

import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.functions.FunctionContext;

/**
 * ML_PREDICT's async runtime for a SigLIP model: every record in flight can join the next batch. Public only
 * because the planner's generated code refers to it; made by {@link SiglipModelProviderFactory}.
 */
public final class SiglipAsyncPredictFunction extends AsyncPredictFunction {
    private static final long serialVersionUID = 1L;

    private final PredictSettings settings;
    private transient SiglipTagger tagger;

    SiglipAsyncPredictFunction(PredictSettings settings) {
        this.settings = settings;
    }

    @Override
    public void open(FunctionContext context) throws Exception {
        tagger = SiglipTagger.open(settings, context);
    }

    @Override
    public CompletableFuture<Collection<RowData>> asyncPredict(RowData input) {
        return tagger.predict(input);
    }

    @Override
    public void close() {
        if (tagger != null) {
            tagger.close();
            tagger = null;
        }
    }
}
