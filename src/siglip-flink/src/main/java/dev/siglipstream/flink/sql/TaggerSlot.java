package dev.siglipstream.flink.sql;

import dev.siglipstream.stream.model.ModelLoader;
import java.io.Serializable;
import org.apache.flink.table.functions.FunctionContext;

/**
 * What both ML_PREDICT runtimes hold: the model's settings and loader, shipped with the function, and the
 * {@link SiglipTagger} each parallel instance opens from them and closes again.
 */
final class TaggerSlot implements Serializable {
    private static final long serialVersionUID = 1L;

    private final PredictSettings settings;
    private final ModelLoader loader;
    private transient SiglipTagger tagger;

    TaggerSlot(PredictSettings settings, ModelLoader loader) {
        this.settings = settings;
        this.loader = loader;
    }

    void open(FunctionContext context) throws Exception {
        tagger = SiglipTagger.open(settings, loader, context);
    }

    SiglipTagger tagger() {
        return tagger;
    }

    void close() {
        if (tagger != null) {
            tagger.close();
            tagger = null;
        }
    }
}
