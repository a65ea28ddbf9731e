package dev.siglipstream.flink.sql;

import dev.siglipstream.stream.model.ModelLoader;
import java.util.Collection;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.PredictFunction;

/**
 * ML_PREDICT's synchronous runtime for a SigLIP model ({@code MAP['async', 'false']}): each record waits
 * for its image's batch, which other parallel instances on the task manager may share. Public only because
 * the planner's generated code refers to it; made by {@link SiglipModelProviderFactory}.
 */
public final class SiglipPredictFunction extends PredictFunction {
    private static final long serialVersionUID = 1L;

    private final TaggerSlot slot;

    SiglipPredictFunction(PredictSettings settings) {
        this(settings, settings.loader());
    }

    /** With the model opened by {@code loader} (tests wrap the library's model to watch its batches). */
    SiglipPredictFunction(PredictSettings settings, ModelLoader loader) {
        this.slot = new TaggerSlot(settings, loader);
    }

    @Override
    public void open(FunctionContext context) throws Exception {
        slot.open(context);
    }

    @Override
    public Collection<RowData> predict(RowData input) {
        try {
            return slot.tagger().predict(input).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the image's batch", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
            throw new IllegalStateException("SigLIP inference failed: " + cause.getMessage(), cause);
        }
    }

    @Override
    public void close() {
        slot.close();
    }
}
