package dev.siglipstream.stream.model;

import java.io.Serializable;

/** Opens the model a {@link ModelSpec} names; shipped with the job graph, so it is serializable. */
@FunctionalInterface
public interface ModelLoader extends Serializable {
    EmbeddingModel load(ModelSpec spec) throws Exception;
}
