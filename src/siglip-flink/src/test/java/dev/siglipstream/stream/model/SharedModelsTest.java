package dev.siglipstream.stream.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.stream.FakeModel;
import dev.siglipstream.flink.CandidateLabels;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class SharedModelsTest {
    static final AtomicInteger LOADS = new AtomicInteger();
    static final AtomicInteger CLOSES = new AtomicInteger();
    static final List<Integer> TEXT_CALLS = new ArrayList<>();
    /** Every text the counting model encoded, in order. */
    static final List<String> TEXTS = new ArrayList<>();
    static final List<Integer> IMAGE_BATCHES = new ArrayList<>();
    /** Nice values of the threads that loaded a model and ran image batches, when Linux gives them. */
    static final List<Integer> LOAD_NICE = new ArrayList<>();
    static final List<Integer> BATCH_NICE = new ArrayList<>();

    /** Counts loads, closes and tower calls around the fake. */
    static final class CountingLoader implements ModelLoader {
        private static final long serialVersionUID = 1L;

        @Override
        public EmbeddingModel load(ModelSpec spec) {
            LOADS.incrementAndGet();
            synchronized (LOAD_NICE) {
                ThreadNice.current().ifPresent(LOAD_NICE::add);
            }
            FakeModel fake = new FakeModel();
            return new EmbeddingModel() {
                public String modelId() { return "counting"; }
                public int imageHeight() { return fake.imageHeight(); }
                public int imageWidth() { return fake.imageWidth(); }
                public int embeddingDim() { return fake.embeddingDim(); }
                public void preprocess(byte[] b, FloatBuffer dst) throws ImageRejectedException { fake.preprocess(b, dst); }
                public float[][] imageEmbeddings(FloatBuffer px, int n) {
                    beforeBatch.run();
                    synchronized (IMAGE_BATCHES) {
                        IMAGE_BATCHES.add(n);
                        ThreadNice.current().ifPresent(BATCH_NICE::add);
                    }
                    return fake.imageEmbeddings(px, n);
                }
                public float[][] textEmbeddings(List<String> texts) {
                    synchronized (TEXT_CALLS) {
                        TEXT_CALLS.add(texts.size());
                        TEXTS.addAll(texts);
                    }
                    return fake.textEmbeddings(texts);
                }
                public float[][] probabilities(float[][] i, float[][] t) { return fake.probabilities(i, t); }
                public String provider() { return "CPU"; }
                public boolean cpuFallback() { return false; }
                public void close() { CLOSES.incrementAndGet(); }
            };
        }
    }

    @Test
    void textsWithEqualHashCodesAreEmbeddedEachForItself() throws Exception {
        // "Aa" and "BB" have the same String.hashCode, so do these two label lists and their hypotheses.
        CandidateLabels aa = new CandidateLabels("inline", 0, List.of("Aa x"), null, null, null);
        CandidateLabels bb = new CandidateLabels("inline", 0, List.of("BB x"), null, null, null);
        assertThat(aa.labels().hashCode()).isEqualTo(bb.labels().hashCode());
        assertThat(aa.hypotheses().hashCode()).isEqualTo(bb.hypotheses().hashCode());
        try (SharedModels.Handle h = SharedModels.acquire(spec(4, false), new CountingLoader())) {
            synchronized (TEXT_CALLS) {
                TEXTS.clear();
            }
            float[][] first = h.textEmbeddings(aa.hypotheses()).get(30, TimeUnit.SECONDS);
            float[][] second = h.textEmbeddings(bb.hypotheses()).get(30, TimeUnit.SECONDS);
            assertThat(second).isNotSameAs(first);
            synchronized (TEXT_CALLS) {
                assertThat(TEXTS).containsExactly("This is a photo of Aa x.", "This is a photo of BB x.");
            }
            // The case that gave an INTERNAL_ERROR: one label after two, under Objects.hash's collision.
            CandidateLabels two = new CandidateLabels("inline", 0, List.of("a cat", "a dog"), null, null, null);
            CandidateLabels one = new CandidateLabels("inline", 0, List.of("bcgmfg"), null, null, null);
            assertThat(java.util.Objects.hash(two.labels(), two.template())).isEqualTo(java.util.Objects.hash(one.labels(), one.template()));
            assertThat(h.textEmbeddings(two.hypotheses()).get(30, TimeUnit.SECONDS)).hasNumberOfRows(2);
            assertThat(h.textEmbeddings(one.hypotheses()).get(30, TimeUnit.SECONDS)).hasNumberOfRows(1);
            // Equal texts from anywhere share one computation: a named set with the same hypotheses.
            CandidateLabels named = new CandidateLabels("animals", 7, List.of("a cat", "a dog"), null, null, null);
            assertThat(h.textEmbeddings(named.hypotheses()).get(30, TimeUnit.SECONDS))
                    .isSameAs(h.textEmbeddings(two.hypotheses()).get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void theTextCacheIsBoundedByBytesAndKeepsWhatIsInFlight() {
        List<String> a = List.of("a");
        List<String> b = List.of("b");
        float[][] embeds = new float[10][100]; // 10 x (16 + 400) bytes, plus 42 for the key
        long w = TextEmbeddingCache.weight(a, embeds);
        assertThat(w).isEqualTo(10 * 416 + 42);
        TextEmbeddingCache cache = new TextEmbeddingCache(100, w + w / 2);
        CompletableFuture<float[][]> fa = new CompletableFuture<>();
        assertThat(cache.lookup(a, fa).created()).isTrue();
        assertThat(cache.lookup(a, new CompletableFuture<>()).future()).isSameAs(fa); // shared while in flight
        fa.complete(embeds);
        cache.completed(a, fa, embeds);
        assertThat(cache.bytes()).isEqualTo(w);
        CompletableFuture<float[][]> fb = new CompletableFuture<>();
        cache.lookup(b, fb);
        fb.complete(embeds);
        cache.completed(b, fb, embeds); // two entries would exceed the bound: the eldest goes
        assertThat(cache.size()).isEqualTo(1);
        assertThat(cache.bytes()).isEqualTo(w);
        assertThat(cache.lookup(b, new CompletableFuture<>()).future()).isSameAs(fb);
        assertThat(cache.lookup(a, new CompletableFuture<>()).created()).isTrue();
        // An entry larger than the whole bound is served once and not kept.
        TextEmbeddingCache tiny = new TextEmbeddingCache(100, 10);
        CompletableFuture<float[][]> fc = new CompletableFuture<>();
        tiny.lookup(a, fc);
        tiny.completed(a, fc, embeds);
        assertThat(tiny.size()).isZero();
        assertThat(tiny.bytes()).isZero();
    }

    private static ModelSpec spec(int maxBatch, boolean bucketing) {
        return spec(maxBatch, bucketing, null, null);
    }

    private static ModelSpec spec(int maxBatch, boolean bucketing, Integer inferenceNice, Integer preprocessNice) {
        return spec(maxBatch, bucketing, inferenceNice, preprocessNice, 1);
    }

    private static ModelSpec spec(int maxBatch, boolean bucketing, Integer inferenceNice, Integer preprocessNice, int concurrency) {
        return new ModelSpec("m", "cpu", -1, "fp32", 1, false, inferenceNice, false, maxBatch, 50, false, concurrency, bucketing, 1,
                preprocessNice, 1);
    }

    /** Runs at the start of every image batch of the counting model; tests set it and reset it. */
    static volatile Runnable beforeBatch = () -> {};

    @Test
    void oneSessionPerSpecSharedAndReferenceCounted() throws Exception {
        int loads = LOADS.get();
        int closes = CLOSES.get();
        SharedModels.Handle a = SharedModels.acquire(spec(4, false), new CountingLoader());
        SharedModels.Handle b = SharedModels.acquire(spec(4, false), new CountingLoader());
        SharedModels.Handle other = SharedModels.acquire(spec(8, false), new CountingLoader());
        assertThat(LOADS.get() - loads).isEqualTo(2);
        assertThat(a.model()).isSameAs(b.model());
        assertThat(other.model()).isNotSameAs(a.model());
        a.close();
        a.close(); // idempotent: one reference released once
        assertThat(CLOSES.get() - closes).isZero();
        b.close();
        assertThat(CLOSES.get() - closes).isEqualTo(1);
        other.close();
        assertThat(CLOSES.get() - closes).isEqualTo(2);
        assertThat(SharedModels.openSessions()).isZero();
    }

    @Test
    void textEmbeddingsAreComputedOncePerListOfTextsInChunks() throws Exception {
        try (SharedModels.Handle h = SharedModels.acquire(spec(4, false), new CountingLoader())) {
            List<String> labels = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                labels.add("label " + i);
            }
            synchronized (TEXT_CALLS) {
                TEXT_CALLS.clear();
            }
            CompletableFuture<float[][]> first = h.textEmbeddings(labels);
            CompletableFuture<float[][]> again = h.textEmbeddings(new ArrayList<>(labels));
            float[][] embeds = first.get(30, TimeUnit.SECONDS);
            assertThat(again.get(30, TimeUnit.SECONDS)).isSameAs(embeds);
            assertThat(embeds).hasNumberOfRows(2000);
            assertThat(embeds[1999]).isEqualTo(new FakeModel().textEmbeddings(List.of("label 1999"))[0]);
            synchronized (TEXT_CALLS) {
                // 2,000 texts in chunks of 128: 15 full chunks and one of 80, and no second encoding.
                assertThat(TEXT_CALLS).hasSize(16).allMatch(n -> n <= SharedModels.TEXT_CHUNK);
                assertThat(TEXT_CALLS.stream().mapToInt(Integer::intValue).sum()).isEqualTo(2000);
            }
            // Other texts are another key: encoded again.
            h.textEmbeddings(labels.subList(0, 3)).get(30, TimeUnit.SECONDS);
            synchronized (TEXT_CALLS) {
                assertThat(TEXT_CALLS).hasSize(17).endsWith(3);
            }
        }
    }

    @Test
    void imagesAreBatchedAndPaddedToBuckets() throws Exception {
        try (SharedModels.Handle h = SharedModels.acquire(spec(8, true), new CountingLoader())) {
            synchronized (IMAGE_BATCHES) {
                IMAGE_BATCHES.clear();
            }
            float[][] texts = new FakeModel().textEmbeddings(List.of("a cat"));
            List<CompletableFuture<SharedModels.ImageResult>> fs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                fs.add(h.embed(new float[3 * 4 * 4], texts));
            }
            for (CompletableFuture<SharedModels.ImageResult> f : fs) {
                SharedModels.ImageResult r = f.get(30, TimeUnit.SECONDS);
                assertThat(r.batchSize()).isEqualTo(3);
                assertThat(r.embedding()).hasSize(3);
            }
            synchronized (IMAGE_BATCHES) {
                assertThat(IMAGE_BATCHES).containsExactly(4); // 3 images run as a batch of 4
            }
        }
    }

    @Test
    void eachImageIsScoredAgainstItsOwnTextsInOneBatch() throws Exception {
        FakeModel fake = new FakeModel();
        float[][] animals = fake.textEmbeddings(List.of("a cat", "a dog"));
        float[][] colours = fake.textEmbeddings(List.of("red", "green", "blue"));
        try (SharedModels.Handle h = SharedModels.acquire(spec(4, false), new CountingLoader())) {
            List<float[]> pixels = new ArrayList<>();
            List<CompletableFuture<SharedModels.ImageResult>> fs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                float[] px = h.pixelBuffer();
                java.util.Arrays.fill(px, 0, 16, 0.1f * (i + 1)); // three 4x4 planes, each image its own colour
                java.util.Arrays.fill(px, 16, 32, 0.05f);
                java.util.Arrays.fill(px, 32, 48, 0.3f / (i + 1));
                pixels.add(px.clone());
                fs.add(h.embed(px, i % 2 == 0 ? animals : colours));
            }
            for (int i = 0; i < 4; i++) {
                SharedModels.ImageResult r = fs.get(i).get(30, TimeUnit.SECONDS);
                assertThat(r.batchSize()).isEqualTo(4);
                float[][] own = i % 2 == 0 ? animals : colours;
                float[] embedding = fake.imageEmbeddings(
                        FloatBuffer.wrap(pixels.get(i)), 1)[0];
                assertThat(r.embedding()).isEqualTo(embedding);
                assertThat(r.probabilities()).hasSize(own.length)
                        .isEqualTo(fake.probabilities(new float[][] {embedding}, own)[0]);
            }
        }
    }

    @Test
    void withConcurrencyTwoTwoBatchesRunAtOnceEachOnItsOwnThreadAndBuffer() throws Exception {
        FakeModel fake = new FakeModel();
        float[][] texts = fake.textEmbeddings(List.of("a cat", "a dog"));
        List<String> threads = java.util.Collections.synchronizedList(new ArrayList<>());
        // Each batch waits inside the model for another one: only batches that run at once get past.
        java.util.concurrent.CyclicBarrier twoInside = new java.util.concurrent.CyclicBarrier(2);
        beforeBatch = () -> {
            threads.add(Thread.currentThread().getName());
            try {
                twoInside.await(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("no second batch ran meanwhile", e);
            }
        };
        try (SharedModels.Handle h = SharedModels.acquire(spec(2, false, null, null, 2), new CountingLoader())) {
            List<float[]> pixels = new ArrayList<>();
            List<CompletableFuture<SharedModels.ImageResult>> fs = new ArrayList<>();
            for (int i = 0; i < 4; i++) { // two full batches of 2: the second starts while the first is inside
                float[] px = h.pixelBuffer();
                java.util.Arrays.fill(px, 0, 16, 0.1f * (i + 1));
                java.util.Arrays.fill(px, 16, 32, 0.2f);
                java.util.Arrays.fill(px, 32, 48, 0.4f / (i + 1));
                pixels.add(px.clone());
                fs.add(h.embed(px, texts));
            }
            for (int i = 0; i < 4; i++) {
                SharedModels.ImageResult r = fs.get(i).get(60, TimeUnit.SECONDS);
                assertThat(r.batchSize()).isEqualTo(2);
                assertThat(r.embedding()).isEqualTo(fake.imageEmbeddings(FloatBuffer.wrap(pixels.get(i)), 1)[0]);
            }
        } finally {
            beforeBatch = () -> {};
        }
        assertThat(threads).containsExactlyInAnyOrder("siglip-inference-1", "siglip-inference-2");
    }

    @Test
    void pixelArraysAreReusedOnceTheBatchHasCopiedThem() throws Exception {
        float[][] texts = new FakeModel().textEmbeddings(List.of("a cat"));
        try (SharedModels.Handle h = SharedModels.acquire(spec(1, false), new CountingLoader())) {
            float[] first = h.pixelBuffer();
            assertThat(first).hasSize(3 * 4 * 4);
            h.embed(first, texts).get(30, TimeUnit.SECONDS);
            assertThat(h.pixelBuffer()).isSameAs(first);
            float[] refused = h.pixelBuffer();
            h.recycle(refused);
            assertThat(h.pixelBuffer()).isSameAs(refused);
        }
    }

    @Test
    @EnabledOnOs(value = OS.LINUX, disabledReason = "nice values are per thread on Linux only")
    void niceValuesApplyToTheLoadTheBatchAndThePoolThreadsOnly() throws Exception {
        int base = ThreadNice.current().orElseThrow();
        int nice = Math.min(19, base + 4); // raising needs no privilege
        int poolNice = Math.min(19, base + 2);
        synchronized (LOAD_NICE) {
            LOAD_NICE.clear();
        }
        synchronized (IMAGE_BATCHES) {
            BATCH_NICE.clear();
        }
        int poolSeen;
        try (SharedModels.Handle h = SharedModels.acquire(spec(4, false, nice, poolNice), new CountingLoader())) {
            float[][] texts = new FakeModel().textEmbeddings(List.of("a cat"));
            h.embed(new float[3 * 4 * 4], texts).get(30, TimeUnit.SECONDS);
            poolSeen = h.preprocessPool().submit(() -> ThreadNice.current().orElseThrow()).get(30, TimeUnit.SECONDS);
        }
        assertThat(poolSeen).isEqualTo(poolNice);
        synchronized (LOAD_NICE) {
            assertThat(LOAD_NICE).containsExactly(nice);
        }
        synchronized (IMAGE_BATCHES) {
            assertThat(BATCH_NICE).containsExactly(nice);
        }
        assertThat(ThreadNice.current()).as("the acquiring thread keeps its own").hasValue(base);
    }

    @Test
    @EnabledOnOs(value = OS.LINUX, disabledReason = "nice values are per thread on Linux only")
    void withoutAValueOfItsOwnThePoolKeepsTheOpenersNiceEvenWhenTheInferenceThreadMakesItsThreads() throws Exception {
        int base = ThreadNice.current().orElseThrow();
        int nice = Math.min(19, base + 4);
        try (SharedModels.Handle h = SharedModels.acquire(spec(4, false, nice, null), new CountingLoader())) {
            float[][] texts = new FakeModel().textEmbeddings(List.of("a cat"));
            // Chained before the batch ends, so the batch thread hands this to the pool and makes its first thread.
            int seen = h.embed(new float[3 * 4 * 4], texts)
                    .thenApplyAsync(r -> ThreadNice.current().orElseThrow(), h.preprocessPool())
                    .get(30, TimeUnit.SECONDS);
            assertThat(seen).isEqualTo(base);
        }
    }
}
