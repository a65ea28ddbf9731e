package dev.siglipstream.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.siglipstream.stream.FakeModel;
import dev.siglipstream.stream.model.EmbeddingModel;
import dev.siglipstream.stream.model.ImageRejectedException;
import dev.siglipstream.stream.model.ModelLoader;
import dev.siglipstream.stream.model.ModelSpec;
import dev.siglipstream.stream.RecordingResultFuture;
import dev.siglipstream.testutils.TestImages;
import java.awt.Color;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.DefaultOpenContext;
import org.apache.flink.streaming.util.MockStreamingRuntimeContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The public scoring function over a user's own element type, with a deterministic fake model:
 * results carry the model's scores for the chosen label set, every failure its reason and stage,
 * batches are cut at the configured size, and the builder refuses incomplete settings by name.
 */
class SiglipScoringFunctionTest {
    /** A user's element: an id, an inline image or a URI, and the label set it asks for. */
    record Item(String id, byte[] image, String uri, String set) implements Serializable {}

    /** Sizes of the vision-tower batches the fake model ran, in order. */
    static final List<Integer> BATCHES = new CopyOnWriteArrayList<>();

    /** The fake model, recording its batch sizes. */
    static final class RecordingLoader implements ModelLoader {
        private static final long serialVersionUID = 1L;

        @Override
        public EmbeddingModel load(ModelSpec spec) {
            return new FakeModel() {
                @Override
                public float[][] imageEmbeddings(FloatBuffer pixels, int count) {
                    BATCHES.add(count);
                    return super.imageEmbeddings(pixels, count);
                }
            };
        }
    }

    static final CandidateLabels ANIMALS = CandidateLabels.of("animals", "a cat", "a dog");
    static final CandidateLabels COLOURS = new CandidateLabels("colours", 7, List.of("red", "green", "blue"), "{}", 0f, 2);

    private final List<SiglipScoringFunction<Item>> opened = new ArrayList<>();

    @AfterEach
    void close() {
        opened.forEach(SiglipScoringFunction::close);
        BATCHES.clear();
    }

    private static SiglipScoringBuilder<Item> builder() {
        return SiglipScoring.<Item>builder()
                .model("fake")
                .modelLoader(new RecordingLoader())
                .labelSets(ANIMALS, COLOURS)
                .defaultLabelSet("animals")
                .labelSetId(Item::set)
                .imageBytes(Item::image)
                .imageUri(Item::uri)
                .preprocessThreads(1);
    }

    private SiglipScoringFunction<Item> open(SiglipScoringBuilder<Item> b) throws Exception {
        SiglipScoringFunction<Item> f = b.build().function();
        f.setRuntimeContext(new MockStreamingRuntimeContext(1, 0));
        f.open(DefaultOpenContext.INSTANCE);
        opened.add(f);
        return f;
    }

    /** A result future with the outcome's two kinds. */
    static final class Result extends RecordingResultFuture<ScoringOutcome<Item>> {
        ScoredImage<Item> scored() throws InterruptedException {
            ScoringOutcome<Item> o = await();
            assertThat(o).as("scored, not %s", o).isInstanceOf(ScoredImage.class);
            return (ScoredImage<Item>) o;
        }

        ScoringFailure<Item> failed() throws InterruptedException {
            ScoringOutcome<Item> o = await();
            assertThat(o).isInstanceOf(ScoringFailure.class);
            return (ScoringFailure<Item>) o;
        }
    }

    private static Result invoke(SiglipScoringFunction<Item> f, Item item) {
        Result r = new Result();
        f.asyncInvoke(item, r);
        return r;
    }

    static byte[] png(int w, int h, Color c) {
        return dev.siglipstream.testutils.TestImages.png(w, h, c);
    }

    /** The fake model's probabilities for one image against {@code set}'s hypotheses, computed directly. */
    static float[] expected(byte[] image, CandidateLabels set) throws Exception {
        FakeModel m = new FakeModel();
        FloatBuffer px = ByteBuffer.allocateDirect(3 * m.imageHeight() * m.imageWidth() * Float.BYTES)
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
        m.preprocess(image, px);
        px.rewind();
        return m.probabilities(m.imageEmbeddings(px, 1), m.textEmbeddings(set.hypotheses()))[0];
    }

    @Test
    void scoresAgainstTheStaticLabelSetTheElementNames() throws Exception {
        SiglipScoringFunction<Item> f = open(builder());
        byte[] red = png(8, 8, Color.RED);

        ScoredImage<Item> byDefault = invoke(f, new Item("a", red, null, null)).scored();
        float[] p = expected(red, ANIMALS);
        assertThat(byDefault.element().id()).isEqualTo("a");
        assertThat(byDefault.labelSetId()).isEqualTo("animals");
        assertThat(byDefault.labelSetVersion()).isEqualTo(1L);
        assertThat(byDefault.modelId()).isEqualTo("fake");
        assertThat(byDefault.labels()).containsExactlyInAnyOrder(
                new ScoredLabel("a cat", p[0], p[0] >= 0.5f), new ScoredLabel("a dog", p[1], p[1] >= 0.5f));
        assertThat(byDefault.labels().get(0).score()).isGreaterThanOrEqualTo(byDefault.labels().get(1).score());
        assertThat(byDefault.embedding()).isNull();
        assertThat(byDefault.timings()).containsEntry("batchSize", 1L).containsKeys("queue", "fetch", "preprocess",
                "batchWait", "inference", "scoreWait", "total");

        ScoredImage<Item> colours = invoke(f, new Item("b", red, null, "colours")).scored();
        float[] q = expected(red, COLOURS);
        assertThat(colours.labelSetId()).isEqualTo("colours");
        assertThat(colours.labelSetVersion()).isEqualTo(7L);
        assertThat(colours.labels()).as("top 2 of 3, all matched at threshold 0").hasSize(2)
                .allMatch(ScoredLabel::matched);
        float best = Math.max(q[0], Math.max(q[1], q[2]));
        assertThat(colours.labels().get(0).score()).isEqualTo(best);

        ScoringFailure<Item> unknown = invoke(f, new Item("c", red, null, "plants")).failed();
        assertThat(unknown.reason()).isEqualTo(FailureReason.UNKNOWN_LABEL_SET);
        assertThat(unknown.stage()).isEqualTo("resolve");
        assertThat(unknown.message()).contains("'plants'").contains("animals, colours");
        assertThat(unknown.element().id()).isEqualTo("c");
    }

    @Test
    void everyFailureIsAnOutcomeWithItsReasonAndStage() throws Exception {
        SiglipScoringFunction<Item> f = open(builder()
                .pixelBudget(1_000_000L)
                .imageSource(uri -> {
                    if (uri.contains("missing")) {
                        throw new ImageRejectedException(ImageRejectedException.Reason.FETCH_FAILED, "HTTP status 404", null);
                    }
                    return png(8, 8, Color.BLUE);
                }));
        assertFailure(f, new Item("text", "not an image".getBytes(), null, null), FailureReason.UNDECODABLE_IMAGE, "preprocess", "not an image");
        assertFailure(f, new Item("empty", new byte[0], null, null), FailureReason.UNDECODABLE_IMAGE, "preprocess", "empty");
        assertFailure(f, new Item("nothing", null, null, null), FailureReason.MALFORMED_EVENT, "preprocess", "neither");
        assertFailure(f, new Item("huge", TestImages.pngHeader(2000, 1000), null, null), FailureReason.IMAGE_OVER_BUDGET,
                "preprocess", "2000x1000 = 2000000 pixels");
        assertFailure(f, new Item("gone", null, "https://images.example.com/missing.png", null), FailureReason.FETCH_FAILED,
                "fetch", "HTTP status 404");
        ScoredImage<Item> fetched = invoke(f, new Item("fetched", null, "https://images.example.com/blue.png", null)).scored();
        assertThat(fetched.labels()).hasSize(2);
        assertThat(fetched.timings().get("fetch")).isGreaterThanOrEqualTo(0L);
    }

    private static void assertFailure(SiglipScoringFunction<Item> f, Item item, FailureReason reason, String stage, String message)
            throws Exception {
        Result r = invoke(f, item);
        ScoringFailure<Item> failure = r.failed();
        assertThat(failure.reason()).as(item.id()).isEqualTo(reason);
        assertThat(failure.stage()).as(item.id()).isEqualTo(stage);
        assertThat(failure.message()).as(item.id()).contains(message);
        assertThat(failure.element()).isSameAs(item);
        assertThat(failure.retryable()).isFalse();
        Thread.sleep(20); // a second completion would come from a callback still running
        assertThat(r.completions).as(item.id() + " completed once").hasValue(1);
    }

    @Test
    void extractorsThatThrowFailTheRecordOrTheTaskAsConfigured() throws Exception {
        SiglipScoringFunction<Item> f = open(builder().failTaskOn(IllegalStateException.class).imageBytes(item -> {
            if (item.id().equals("bad")) {
                throw new IllegalArgumentException("no image in this one");
            }
            if (item.id().equals("down")) {
                throw new IllegalStateException("the image store is down");
            }
            return item.image();
        }));
        assertFailure(f, new Item("bad", null, null, null), FailureReason.INTERNAL_ERROR, "preprocess", "no image in this one");
        Result down = invoke(f, new Item("down", null, null, null));
        assertThat(down.done.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(down.error).isInstanceOf(IllegalStateException.class).hasMessage("the image store is down");
    }

    @Test
    void batchesAreCutAtMaxBatchSizeAndFlushedAfterTheDelay() throws Exception {
        SiglipScoringFunction<Item> f = open(builder().maxBatchSize(3).maxBatchDelay(Duration.ofMillis(400)).emitEmbedding(true));
        List<Result> results = new ArrayList<>();
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            byte[] img = png(8, 8, new Color(30 * i, 255 - 30 * i, 100));
            images.add(img);
            results.add(invoke(f, new Item("i" + i, img, null, null)));
        }
        List<Long> sizes = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            ScoredImage<Item> s = results.get(i).scored();
            sizes.add(s.timings().get("batchSize"));
            float[] p = expected(images.get(i), ANIMALS);
            assertThat(s.labels()).as("scores of image %d", i)
                    .containsExactlyInAnyOrder(new ScoredLabel("a cat", p[0], p[0] >= 0.5f), new ScoredLabel("a dog", p[1], p[1] >= 0.5f));
            assertThat(s.embedding()).hasSize(3);
        }
        assertThat(BATCHES).as("two full batches, then the last image alone after the delay").containsExactly(3, 3, 1);
        assertThat(sizes).containsExactlyInAnyOrder(3L, 3L, 3L, 3L, 3L, 3L, 1L);
    }

    @Test
    void eachElementMayCarryItsOwnLabelSet() throws Exception {
        SiglipScoringFunction<Item> f = open(SiglipScoring.<Item>builder()
                .model("fake")
                .modelLoader(new RecordingLoader())
                .labelSet(item -> item.set() == null ? null
                        : item.set().isEmpty() ? CandidateLabels.of("none") : CandidateLabels.of("own", item.set().split(",")))
                .imageBytes(Item::image));
        byte[] green = png(8, 8, Color.GREEN);
        ScoredImage<Item> own = invoke(f, new Item("own", green, null, "tree,car,boat")).scored();
        assertThat(own.labelSetId()).isEqualTo("own");
        assertThat(own.labels()).extracting(ScoredLabel::label).containsExactlyInAnyOrder("tree", "car", "boat");
        assertFailure(f, new Item("empty", green, null, ""), FailureReason.EMPTY_LABEL_SET, "resolve", "no labels");
        assertFailure(f, new Item("none", green, null, null), FailureReason.UNKNOWN_LABEL_SET, "resolve", "no label set");
    }

    @Test
    void theBuilderRefusesIncompleteSettingsByName() {
        assertThatThrownBy(() -> SiglipScoring.<Item>builder().labelSets(ANIMALS).imageBytes(Item::image).build())
                .hasMessageContaining("no model");
        assertThatThrownBy(() -> SiglipScoring.<Item>builder().model("m").labelSets(ANIMALS).build())
                .hasMessageContaining("no image");
        assertThatThrownBy(() -> SiglipScoring.<Item>builder().model("m").imageBytes(Item::image).build())
                .hasMessageContaining("no label sets");
        assertThatThrownBy(() -> SiglipScoring.<Item>builder().model("m").imageBytes(Item::image).labelSets(ANIMALS, COLOURS).build())
                .hasMessageContaining("2 label sets and no way to choose");
        assertThatThrownBy(() -> SiglipScoring.<Item>builder().model("m").imageBytes(Item::image).labelSets(ANIMALS)
                .defaultLabelSet("plants").build()).hasMessageContaining("'plants' is not among the label sets");
        assertThatThrownBy(() -> SiglipScoring.<Item>builder().model("m").imageBytes(Item::image)
                .labelSets(CandidateLabels.of("empty")).build()).hasMessageContaining("label set 'empty' has no labels");
        assertThatThrownBy(() -> SiglipScoring.<Item>builder().model("m").imageBytes(Item::image).labelSets(ANIMALS)
                .maxBatchSize(0).build()).hasMessageContaining("maxBatchSize must be >= 1, got 0");
        assertThatThrownBy(() -> SiglipScoring.<Item>builder().labelSets(ANIMALS, ANIMALS))
                .hasMessageContaining("'animals' given twice");
        SiglipScoring<Item> one = SiglipScoring.<Item>builder().model("m").imageBytes(Item::image).labelSets(ANIMALS).build();
        assertThat(one.timeout()).isEqualTo(SiglipScoringBuilder.DEFAULT_TIMEOUT);
    }
}
