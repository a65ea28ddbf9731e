package dev.siglipstream.siglip.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The text tower ({@code onnx/text_model.onnx}): {@code input_ids [B,L]} (int64, padded to the
 * model's max length) → {@code pooler_output [B,D]} (last position + linear head, not yet
 * normalised). {@code attention_mask} is fed only when the graph declares it: SigLIP was trained
 * without one and the standard exports take none. Owns its graph; thread-safe.
 */
public final class SiglipTextModel implements AutoCloseable {
    static final String INPUT_IDS = "input_ids";
    static final String ATTENTION_MASK = "attention_mask";
    static final String POOLER_OUTPUT = "pooler_output";

    private final OnnxGraph graph;
    private final int padId;
    private final int eosId;

    private SiglipTextModel(OnnxGraph graph, int padId, int eosId) {
        this.graph = graph;
        this.padId = padId;
        this.eosId = eosId;
    }

    /**
     * Loads a split text tower; {@code padId}/{@code eosId} are used only to build an attention mask
     * for graphs that declare one.
     */
    public static SiglipTextModel load(Path onnxFile, int padId, int eosId, OnnxOptions options) {
        OnnxGraph graph = OnnxGraph.open(onnxFile, options);
        try {
            graph.requireInputs(INPUT_IDS)
                    .requireNoOtherInputs(Set.of(INPUT_IDS, ATTENTION_MASK))
                    .requireOutputs(POOLER_OUTPUT);
            return new SiglipTextModel(graph, padId, eosId);
        } catch (RuntimeException e) {
            graph.close();
            throw e;
        }
    }

    /** Pooler outputs of already tokenised, equally long rows. */
    public float[][] poolerOutput(long[][] inputIds) {
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put(INPUT_IDS, Tensors.longs(inputIds));
            if (graph.hasInput(ATTENTION_MASK)) {
                inputs.put(ATTENTION_MASK, Tensors.longs(attentionMask(inputIds, padId, eosId)));
            }
            try (OrtSession.Result result = graph.run(inputs, Set.of(POOLER_OUTPUT))) {
                return Tensors.matrix(result, POOLER_OUTPUT);
            }
        } catch (OrtException e) {
            throw new OnnxModelException("text model " + graph.file() + " failed on " + inputIds.length + " texts: "
                    + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    /** Whether the graph takes an attention mask (non-standard exports). */
    public boolean usesAttentionMask() {
        return graph.hasInput(ATTENTION_MASK);
    }

    public ExecutionProvider provider() {
        return graph.provider();
    }

    /**
     * The tokenizer's mask for right-padded rows: 1 up to the trailing run of pad ids; when the pad
     * token is also the end-of-sequence token (SigLIP 1), the first id of that run is the real
     * {@code </s>} and counts.
     */
    static long[][] attentionMask(long[][] ids, int padId, int eosId) {
        long[][] mask = new long[ids.length][];
        for (int r = 0; r < ids.length; r++) {
            long[] row = ids[r];
            int end = row.length;
            while (end > 0 && row[end - 1] == padId) end--;
            if (padId == eosId && end < row.length) end++;
            mask[r] = new long[row.length];
            java.util.Arrays.fill(mask[r], 0, end, 1L);
        }
        return mask;
    }

    @Override
    public void close() {
        graph.close();
    }
}
