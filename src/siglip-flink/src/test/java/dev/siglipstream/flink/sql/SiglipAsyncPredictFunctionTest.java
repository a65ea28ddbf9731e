package dev.siglipstream.flink.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.siglipstream.siglip.image.DecodeMode;
import dev.siglipstream.siglip.onnx.OnnxOptions;
import dev.siglipstream.siglip.onnx.SiglipModel;
import dev.siglipstream.siglip.pipeline.ZeroShotImageClassifier;
import dev.siglipstream.siglip.scoring.LabelScore;
import dev.siglipstream.stream.model.EmbeddingModel;
import dev.siglipstream.stream.model.ImageRejectedException;
import dev.siglipstream.stream.model.ModelLoader;
import dev.siglipstream.stream.model.ModelSpec;
import dev.siglipstream.stream.model.SharedModels;
import dev.siglipstream.stream.model.SiglipModelLoader;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.FunctionContext;
import org.junit.jupiter.api.Test;

/**
 * The SQL model's async runtime without a cluster: two parallel instances share one session, and the
 * images of their records in flight are scored together, in one batch of the shared micro-batcher.
 */
class SiglipAsyncPredictFunctionTest {
    static final AtomicInteger LOADS = new AtomicInteger();
    static final List<Integer> BATCHES = new ArrayList<>();
    static final List<String> IMAGES = List.of("photo_q90_420", "progressive", "grayscale", "palette",
            "rgba_transparent", "exif_orientation6", "tiny_1x1", "gray16");
    static final List<String> LABELS = List.of("cat", "dog", "car");

    @Test
    void recordsOfTwoInstancesShareOneSessionAndOneBatch() throws Exception {
        // a delay far above the test's run time: only the size (8 = the records in flight) flushes the batch
        ModelSpec spec = new ModelSpec(ConformanceFiles.tinyModel().toString(), "cpu", -1, "fp32", 1, false, null, false,
                IMAGES.size(), 60_000, false, 1, false, 2, null, 1);
        PredictSettings settings = new PredictSettings(spec, 40_000_000L, DecodeMode.EXACT, LABELS,
                LABELS.stream().map(l -> ZeroShotImageClassifier.hypothesis(ZeroShotImageClassifier.DEFAULT_TEMPLATE, l)).toList(),
                null, null, List.of(OutputColumn.LABELS, OutputColumn.SCORES, OutputColumn.ERROR), null);
        int sessionsBefore = SharedModels.openSessions();
        SiglipAsyncPredictFunction first = new SiglipAsyncPredictFunction(settings, new RecordingLoader());
        SiglipAsyncPredictFunction second = new SiglipAsyncPredictFunction(settings, new RecordingLoader());
        first.open(new FunctionContext(null));
        second.open(new FunctionContext(null));
        List<CompletableFuture<Collection<RowData>>> results = new ArrayList<>();
        List<byte[]> images = new ArrayList<>();
        try {
            assertThat(LOADS).as("one model for both instances").hasValue(1);
            for (int i = 0; i < IMAGES.size(); i++) {
                byte[] image = Files.readAllBytes(ConformanceFiles.image(IMAGES.get(i)));
                images.add(image);
                results.add((i % 2 == 0 ? first : second).asyncPredict(GenericRowData.of((Object) image)));
            }
            CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        } finally {
            first.close();
            second.close();
        }
        synchronized (BATCHES) {
            assertThat(BATCHES).as("vision-tower calls").containsExactly(IMAGES.size());
        }
        assertThat(SharedModels.openSessions()).as("closed with its last instance").isEqualTo(sessionsBefore);
        try (SiglipModel model = SiglipModel.load(ConformanceFiles.tinyModel(), OnnxOptions.defaults())) {
            ZeroShotImageClassifier library = new ZeroShotImageClassifier(model);
            for (int i = 0; i < images.size(); i++) {
                RowData row = results.get(i).get().iterator().next();
                List<LabelScore> expected = library.classify(List.of(images.get(i)), LABELS,
                        ZeroShotImageClassifier.Options.defaults()).get(0);
                assertThat(row.isNullAt(2)).as("no error for %s", IMAGES.get(i)).isTrue();
                assertThat(row.getArray(0).size()).isEqualTo(expected.size());
                for (int k = 0; k < expected.size(); k++) {
                    // the same score at each rank, and each label its own score (labels that tie may swap)
                    String label = row.getArray(0).getString(k).toString();
                    float score = row.getArray(1).getFloat(k);
                    assertThat((double) score).isCloseTo(expected.get(k).score(), within(1e-5));
                    assertThat((double) score).as("score of %s", label).isCloseTo(
                            expected.stream().filter(e -> e.label().equals(label)).findFirst().orElseThrow().score(), within(1e-5));
                }
            }
        }
    }

    @Test
    void topKAndThresholdCutTheRankingAsTheLibrarysPipelineDoes() throws Exception {
        byte[] image = Files.readAllBytes(ConformanceFiles.image("photo_q90_420"));
        List<LabelScore> all;
        try (SiglipModel model = SiglipModel.load(ConformanceFiles.tinyModel(), OnnxOptions.defaults())) {
            all = new ZeroShotImageClassifier(model).classify(List.of(image), LABELS, ZeroShotImageClassifier.Options.defaults()).get(0);
        }
        List<String> ranked = all.stream().map(LabelScore::label).toList();
        // between two different scores (the tiny model saturates some at 1.0): the threshold keeps those above
        int keep = 1;
        while (all.get(keep - 1).score() == all.get(keep).score()) {
            keep++;
        }
        float threshold = (all.get(keep - 1).score() + all.get(keep).score()) / 2;
        assertThat(predict(image, 2, null)).containsExactlyElementsOf(ranked.subList(0, 2));
        assertThat(predict(image, null, threshold)).containsExactlyElementsOf(ranked.subList(0, keep));
        assertThat(predict(image, 1, threshold)).containsExactlyElementsOf(ranked.subList(0, 1));
        assertThat(predict(image, null, Math.nextUp(all.get(0).score()))).as("above the best score").isEmpty();
    }

    /** The labels one image gets from the async runtime with {@code topK} and {@code threshold}. */
    private static List<String> predict(byte[] image, Integer topK, Float threshold) throws Exception {
        ModelSpec spec = new ModelSpec(ConformanceFiles.tinyModel().toString(), "cpu", -1, "fp32", 1, false, null, false,
                4, 5, false, 1, false, 1, null, 1);
        PredictSettings settings = new PredictSettings(spec, 40_000_000L, DecodeMode.EXACT, LABELS,
                LABELS.stream().map(l -> ZeroShotImageClassifier.hypothesis(ZeroShotImageClassifier.DEFAULT_TEMPLATE, l)).toList(),
                topK, threshold, List.of(OutputColumn.LABELS), null);
        SiglipAsyncPredictFunction f = new SiglipAsyncPredictFunction(settings);
        f.open(new FunctionContext(null));
        try {
            RowData row = f.asyncPredict(GenericRowData.of((Object) image)).get(60, TimeUnit.SECONDS).iterator().next();
            List<String> labels = new ArrayList<>();
            for (int i = 0; i < row.getArray(0).size(); i++) {
                labels.add(row.getArray(0).getString(i).toString());
            }
            return labels;
        } finally {
            f.close();
        }
    }

    /** The library's model, counting loads and the vision tower's batch sizes. */
    static final class RecordingLoader implements ModelLoader {
        private static final long serialVersionUID = 1L;

        @Override
        public EmbeddingModel load(ModelSpec spec) {
            LOADS.incrementAndGet();
            EmbeddingModel m = new SiglipModelLoader(40_000_000L).load(spec);
            return new EmbeddingModel() {
                public String modelId() { return m.modelId(); }
                public int imageHeight() { return m.imageHeight(); }
                public int imageWidth() { return m.imageWidth(); }
                public int embeddingDim() { return m.embeddingDim(); }
                public void preprocess(byte[] b, FloatBuffer dst) throws ImageRejectedException { m.preprocess(b, dst); }
                public float[][] imageEmbeddings(FloatBuffer px, int n) {
                    synchronized (BATCHES) {
                        BATCHES.add(n);
                    }
                    return m.imageEmbeddings(px, n);
                }
                public float[][] textEmbeddings(List<String> texts) { return m.textEmbeddings(texts); }
                public float[][] probabilities(float[][] i, float[][] t) { return m.probabilities(i, t); }
                public String provider() { return m.provider(); }
                public boolean cpuFallback() { return m.cpuFallback(); }
                public long pixelLimit() { return m.pixelLimit(); }
                public void close() { m.close(); }
            };
        }
    }
}
