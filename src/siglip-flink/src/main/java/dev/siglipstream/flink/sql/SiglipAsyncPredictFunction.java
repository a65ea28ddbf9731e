package dev.siglipstream.flink.sql;

import dev.siglipstream.stream.model.ModelLoader;
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

    private final TaggerSlot slot;

    SiglipAsyncPredictFunction(PredictSettings settings) {
        this(settings, settings.loader());
    }

    /** With the model opened by {@code loader} (tests wrap the library's model to watch its batches). */
    SiglipAsyncPredictFunction(PredictSettings settings, ModelLoader loader) {
        this.slot = new TaggerSlot(settings, loader);
    }

    @Override
    public void open(FunctionContext context) throws Exception {
        slot.open(context);
    }

    @Override
    public CompletableFuture<Collection<RowData>> asyncPredict(RowData input) {
        return slot.tagger().predict(input);
    }

    @Override
    public void close() {
        slot.close();
    }
}
