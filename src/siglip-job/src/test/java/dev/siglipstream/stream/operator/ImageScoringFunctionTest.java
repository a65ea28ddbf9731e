package dev.siglipstream.stream.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.stream.FakeModel;
import dev.siglipstream.stream.labels.LabelSet;
import dev.siglipstream.stream.model.EmbeddingModel;
import dev.siglipstream.stream.model.ImageRejectedException;
import dev.siglipstream.stream.model.ModelLoader;
import dev.siglipstream.stream.model.ModelSpec;
import dev.siglipstream.stream.operator.ImageScoringFunction.ImageSource;
import dev.siglipstream.stream.serde.WireFormat;
import dev.siglipstream.stream.RecordingResultFuture;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.apache.flink.api.common.functions.DefaultOpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.util.MockStreamingRuntimeContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The scoring operator under injected faults: whatever any stage throws, and wherever Flink's
 * timeout finds a record, the record ends as exactly one output with the reason and stage it failed
 * in; nothing escapes {@code asyncInvoke}; a timed-out record's queued work never runs; and cheap
 * images are not held up by a flood of expensive ones.
 */
class ImageScoringFunctionTest {
    private static final Codecs CODECS = new Codecs(WireFormat.PLAIN, 0, "dead");

    /** Where the faulty model throws or blocks; set by each test, reset after it. */
    enum Fault { NONE, PREPROCESS, PREPROCESS_ERROR, TEXTS, IMAGES, PROBABILITIES, NULL_MODEL_ID }

    static volatile Fault fault = Fault.NONE;
    /** While not null, the model calls named by {@link #blockIn} wait for it. */
    static volatile CountDownLatch gate;
    static volatile String blockIn = "";
    static final AtomicInteger PREPROCESS_CALLS = new AtomicInteger();
    /** When each decode began ({@link System#nanoTime()}) and how many encoded bytes it had. */
    static final java.util.Queue<long[]> PREPROCESS_STARTS = new java.util.concurrent.ConcurrentLinkedQueue<>();
    static final AtomicInteger PREPROCESS_DONE = new AtomicInteger();
    static final AtomicInteger IMAGE_BATCHES = new AtomicInteger();
    static final List<CountDownLatch> ENTERED = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** The fake model with a fault or a wait switched in at each of its calls. */
    static final class FaultyLoader implements ModelLoader {
        private static final long serialVersionUID = 1L;

        @Override
        public EmbeddingModel load(ModelSpec spec) {
            return new FakeModel() {
                @Override
                public String modelId() {
                    return fault == Fault.NULL_MODEL_ID ? null : "faulty";
                }

                @Override
                public void preprocess(byte[] encoded, FloatBuffer dst) throws ImageRejectedException {
                    PREPROCESS_CALLS.incrementAndGet();
                    PREPROCESS_STARTS.add(new long[] {System.nanoTime(), encoded.length});
                    waitIf("preprocess");
                    if (fault == Fault.PREPROCESS) {
                        throw new IllegalStateException("injected preprocessing bug");
                    }
                    if (fault == Fault.PREPROCESS_ERROR) {
                        throw new LinkageError("injected preprocessing error");
                    }
                    super.preprocess(encoded, dst);
                    PREPROCESS_DONE.incrementAndGet();
                }

                @Override
                public float[][] textEmbeddings(List<String> texts) {
                    waitIf("texts");
                    if (fault == Fault.TEXTS) {
                        throw new IllegalStateException("injected text tower failure");
                    }
                    return super.textEmbeddings(texts);
                }

                @Override
                public float[][] imageEmbeddings(FloatBuffer pixels, int count) {
                    IMAGE_BATCHES.incrementAndGet();
                    waitIf("images");
                    if (fault == Fault.IMAGES) {
                        throw new IllegalStateException("injected vision tower failure");
                    }
                    return super.imageEmbeddings(pixels, count);
                }

                @Override
                public float[][] probabilities(float[][] images, float[][] texts) {
                    if (fault == Fault.PROBABILITIES) {
                        throw new ArithmeticException("injected scoring failure");
                    }
                    return super.probabilities(images, texts);
                }
            };
        }
    }

    private static void waitIf(String call) {
        CountDownLatch g = gate;
        if (g != null && blockIn.equals(call)) {
            ENTERED.forEach(CountDownLatch::countDown);
            try {
                g.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A ResultFuture that counts its completions. */
    static final class Result extends RecordingResultFuture<Output> {
        DeadLetter deadLetter() throws Exception {
            Output out = await();
            assertThat(out.isDeadLetter()).as("a dead letter").isTrue();
            return CODECS.deadLetters().decode(out.value());
        }
    }

    private final List<ImageScoringFunction> opened = new ArrayList<>();

    @BeforeEach
    void reset() {
        fault = Fault.NONE;
        gate = null;
        blockIn = "";
        ENTERED.clear();
        PREPROCESS_CALLS.set(0);
        PREPROCESS_STARTS.clear();
        PREPROCESS_DONE.set(0);
        IMAGE_BATCHES.set(0);
    }

    @AfterEach
    void close() {
        CountDownLatch g = gate;
        if (g != null) {
            g.countDown();
        }
        opened.forEach(ImageScoringFunction::close);
    }

    private ImageScoringFunction function(ImageSource source, long pixelBudget) throws Exception {
        // One preprocessing thread, batches of up to 4, 5 ms delay, one batch at a time.
        ModelSpec spec = new ModelSpec("faulty", "cpu", -1, "fp32", 1, false, null, false, 4, 5, false, 1, false, 1, null, 2);
        ImageScoringFunction f = new ImageScoringFunction(spec, new FaultyLoader(),
                new ImageScoringFunction.Settings("labels", 0.5f, false, 40_000_000L, 1 << 24, pixelBudget, source), CODECS);
        f.setRuntimeContext(new MockStreamingRuntimeContext(1, 0));
        f.open(DefaultOpenContext.INSTANCE);
        opened.add(f);
        return f;
    }

    private ImageScoringFunction function() throws Exception {
        return function(uri -> png(8, 8, Color.RED), 25_000_000L);
    }

    static byte[] png(int w, int h, Color c) {
        return dev.siglipstream.testutils.TestImages.png(w, h, c);
    }

    /** A set whose texts are its own (text embeddings are cached by their value). */
    private static LabelSet set(String id) {
        return new LabelSet(id, 1, List.of("a cat", "a dog", "a " + id), null, null, null, null, false);
    }

    private static ResolvedEvent inline(String id, byte[] image, LabelSet set) {
        ImageEvent e = ImageEvent.newBuilder().setId(id).setImage(ByteBuffer.wrap(image))
                .setEventTime(Instant.ofEpochMilli(42)).build();
        return new ResolvedEvent(id, Source.topic("images"), CODECS.images().encode(e), null, set, Map.of(), 42L, null);
    }

    private static ResolvedEvent byUri(String id, LabelSet set) {
        ImageEvent e = ImageEvent.newBuilder().setId(id).setImageUri("https://images.example.com/" + id + ".png")
                .setEventTime(Instant.ofEpochMilli(42)).build();
        return new ResolvedEvent(id, Source.topic("images"), CODECS.images().encode(e), e.getImageUri(), set, Map.of(), 42L, null);
    }

    private static Result invoke(ImageScoringFunction f, ResolvedEvent e) {
        Result r = new Result();
        f.asyncInvoke(e, r);
        return r;
    }

    /** One record through {@code f}: its single output, a dead letter with {@code reason} in {@code stage}. */
    private static void assertDeadLetter(ImageScoringFunction f, ResolvedEvent e, DeadLetterReason reason, String stage,
            String messagePart) throws Exception {
        Result r = invoke(f, e);
        DeadLetter dl = r.deadLetter();
        assertThat(dl.getReason()).as(e.eventId()).isEqualTo(reason);
        assertThat(dl.getStage()).as(e.eventId()).isEqualTo(stage);
        assertThat(dl.getMessage()).as(e.eventId()).contains(messagePart);
        assertThat(dl.getEventId()).isEqualTo(e.eventId());
        Thread.sleep(20); // a second completion would come from a callback still running
        assertThat(r.completions).as(e.eventId() + " completed once").hasValue(1);
    }

    @Test
    void aFaultInEveryStageIsOneDeadLetterNamingThatStage() throws Exception {
        ImageScoringFunction f = function(uri -> {
            if (uri.contains("rejected")) {
                throw new ImageRejectedException(ImageRejectedException.Reason.FETCH_FAILED, "HTTP status 404", null);
            }
            if (uri.contains("bug")) {
                throw new IllegalStateException("injected fetch bug");
            }
            return png(8, 8, Color.RED);
        }, 25_000_000L);
        byte[] image = png(8, 8, Color.GREEN);

        // A label template the formatter refuses: thrown where asyncInvoke formats the hypotheses.
        LabelSet badTemplate = new LabelSet("bad-template", 1, List.of("a cat"), "{} {{}} %s %n {0} {", null, null, null, false);
        assertDeadLetter(f, inline("template", image, badTemplate), DeadLetterReason.INTERNAL_ERROR, "text-embeddings",
                "unmatched '{'");

        assertDeadLetter(f, byUri("fetch-rejected", set("s1")), DeadLetterReason.FETCH_FAILED, "fetch", "HTTP status 404");
        assertDeadLetter(f, byUri("fetch-bug", set("s1")), DeadLetterReason.INTERNAL_ERROR, "fetch", "injected fetch bug");
        assertDeadLetter(f, inline("undecodable", new byte[] {1, 2, 3}, set("s1")), DeadLetterReason.UNDECODABLE_IMAGE,
                "preprocess", "not an image");

        fault = Fault.PREPROCESS;
        assertDeadLetter(f, inline("preprocess-bug", image, set("s1")), DeadLetterReason.INTERNAL_ERROR, "preprocess",
                "injected preprocessing bug");
        fault = Fault.PREPROCESS_ERROR;
        assertDeadLetter(f, inline("preprocess-error", image, set("s1")), DeadLetterReason.INTERNAL_ERROR, "preprocess",
                "injected preprocessing error");

        fault = Fault.TEXTS;
        assertDeadLetter(f, inline("texts", image, set("s2")), DeadLetterReason.INFERENCE_FAILED, "text-embeddings",
                "injected text tower failure");

        fault = Fault.IMAGES;
        assertDeadLetter(f, inline("images", image, set("s1")), DeadLetterReason.INFERENCE_FAILED, "inference",
                "injected vision tower failure");
        fault = Fault.PROBABILITIES;
        assertDeadLetter(f, inline("probabilities", image, set("s1")), DeadLetterReason.INFERENCE_FAILED, "inference",
                "injected scoring failure");

        fault = Fault.NULL_MODEL_ID; // the scored event cannot be encoded
        assertDeadLetter(f, inline("encode", image, set("s1")), DeadLetterReason.INTERNAL_ERROR, "score", "modelId");

        fault = Fault.NONE;
        Result ok = invoke(f, byUri("fine", set("s3")));
        assertThat(ok.await().isDeadLetter()).as("scored after all those faults").isFalse();
        assertThat(ok.completions).hasValue(1);
    }

    @Test
    void imagesOverThePixelBudgetAreDeadLetteredFromTheHeaderBeforeDecoding() throws Exception {
        ImageScoringFunction f = function(uri -> png(8, 8, Color.RED), 1_000_000L);
        assertDeadLetter(f, inline("over", dev.siglipstream.testutils.TestImages.pngHeader(2000, 1000), set("s1")), DeadLetterReason.IMAGE_OVER_BUDGET,
                "preprocess", "2000x1000 = 2000000 pixels, over the real-time budget of 1000000 pixels per image");
        assertDeadLetter(f, inline("bomb", dev.siglipstream.testutils.TestImages.pngHeader(50_000, 50_000), set("s1")), DeadLetterReason.IMAGE_TOO_LARGE,
                "preprocess", "the limit is 40000000");
        assertThat(PREPROCESS_CALLS).as("nothing decoded").hasValue(0);
        Result under = invoke(f, inline("under", png(1000, 1000, Color.BLUE), set("s1")));
        assertThat(under.await().isDeadLetter()).isFalse();
    }

    @Test
    void aTimeoutNamesTheStageTheRecordWasInAndWithdrawsItsWork() throws Exception {
        ImageScoringFunction f = function();
        byte[] image = png(8, 8, Color.GREEN);

        // preprocess (running) and queue (waiting for the one preprocessing thread)
        CountDownLatch entered = entered();
        gate = new CountDownLatch(1);
        blockIn = "preprocess";
        ResolvedEvent running = inline("running", image, set("s1"));
        ResolvedEvent queued = inline("queued", image, set("s1"));
        Result r1 = invoke(f, running);
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        Result r2 = invoke(f, queued);
        f.timeout(queued, r2);
        f.timeout(running, r1);
        assertTimeout(r1, "preprocess");
        assertTimeout(r2, "queue");
        release();
        Thread.sleep(200);
        assertThat(PREPROCESS_CALLS).as("the queued record was withdrawn, never decoded").hasValue(1);
        assertThat(IMAGE_BATCHES).as("the interrupted one never reached a batch").hasValue(0);

        // fetch
        entered = entered();
        gate = new CountDownLatch(1);
        ImageScoringFunction slowFetch = function(uri -> {
            waitIf("fetch");
            return png(8, 8, Color.RED);
        }, 25_000_000L);
        blockIn = "fetch";
        ResolvedEvent fetching = byUri("fetching", set("s1"));
        Result r3 = invoke(slowFetch, fetching);
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        slowFetch.timeout(fetching, r3);
        assertTimeout(r3, "fetch");
        release();

        // inference (in the model) and batch-wait (behind it: one batch at a time)
        entered = entered();
        gate = new CountDownLatch(1);
        blockIn = "images";
        int decoded = PREPROCESS_DONE.get();
        ResolvedEvent inferring = inline("inferring", image, set("s1"));
        Result r4 = invoke(f, inferring);
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        ResolvedEvent waiting = inline("waiting", image, set("s1"));
        Result r5 = invoke(f, waiting);
        awaitValue(PREPROCESS_DONE, decoded + 2); // r5 has its pixels and waits for the batcher
        f.timeout(waiting, r5);
        f.timeout(inferring, r4);
        assertTimeout(r4, "inference");
        assertTimeout(r5, "batch-wait");
        int batches = IMAGE_BATCHES.get();
        release();
        Thread.sleep(200);
        assertThat(IMAGE_BATCHES).as("the timed-out image left out: its batch never ran").hasValue(batches);

        // text embeddings (a new label set whose texts are still being encoded)
        entered = entered();
        gate = new CountDownLatch(1);
        blockIn = "texts";
        decoded = PREPROCESS_DONE.get();
        ResolvedEvent texts = inline("texts", image, set("new-set"));
        Result r6 = invoke(f, texts);
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        awaitValue(PREPROCESS_DONE, decoded + 1);
        f.timeout(texts, r6);
        assertTimeout(r6, "text-embeddings");
        release();

        Thread.sleep(200);
        for (Result r : List.of(r1, r2, r3, r4, r5, r6)) {
            assertThat(r.completions).as("completed once").hasValue(1);
        }
        Result after = invoke(f, inline("after", image, set("s1")));
        assertThat(after.await().isDeadLetter()).as("the operator goes on scoring").isFalse();
    }

    @Test
    void cheapImagesAreNotHeldUpByAFloodOfExpensiveOnes() throws Exception {
        ImageScoringFunction f = function();
        byte[] expensive = noisePng(1200, 1200);
        byte[] cheap = png(64, 64, Color.GREEN);
        // How long one expensive image takes here, alone (the second time: the first warms the decoder up).
        invoke(f, inline("warm-up", expensive, set("s1"))).await();
        long t0 = System.nanoTime();
        invoke(f, inline("probe", expensive, set("s1"))).await();
        Duration one = Duration.ofNanos(System.nanoTime() - t0);

        List<ResolvedEvent> floodEvents = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            floodEvents.add(inline("expensive-" + i, expensive, set("s1")));
        }
        List<ResolvedEvent> cheapEvents = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            cheapEvents.add(inline("cheap-" + i, cheap, set("s1")));
        }
        List<Result> flood = new ArrayList<>();
        for (ResolvedEvent e : floodEvents) {
            flood.add(invoke(f, e));
        }
        long queuedAt = System.nanoTime();
        long expensiveBefore = flood.stream().filter(r -> r.completions.get() > 0).count();
        List<Result> cheapOnes = new ArrayList<>();
        for (ResolvedEvent e : cheapEvents) {
            cheapOnes.add(invoke(f, e));
        }
        long lastCheap = 0;
        for (Result r : cheapOnes) {
            assertThat(r.await().isDeadLetter()).isFalse();
            lastCheap = Math.max(lastCheap, r.completedAt);
        }
        long cheapDone = lastCheap;
        Duration cheapWait = Duration.ofNanos(cheapDone - queuedAt);
        // Decodes of expensive images that began while the cheap ones waited. (Completions would also count
        // expensive images decoded before the cheap ones came, still on their way through batching.)
        long expensiveMeanwhile = PREPROCESS_STARTS.stream()
                .filter(st -> st[1] == expensive.length && st[0] > queuedAt && st[0] <= cheapDone).count();
        // The flood is the operator's timeout's business; withdraw the rest so the test ends quickly.
        for (int i = 0; i < flood.size(); i++) {
            f.timeout(floodEvents.get(i), flood.get(i));
        }
        System.out.printf("flood: one expensive image %d ms; 5 cheap ones done %d ms after being queued behind %d expensive "
                + "(%d finished before, %d began decoding while the cheap ones waited)%n", one.toMillis(), cheapWait.toMillis(),
                floodEvents.size(), expensiveBefore, expensiveMeanwhile);
        // At most one expensive decode may begin (the decode thread taking the next before the cheap ones are queued),
        // not all that were queued.
        assertThat(expensiveMeanwhile).as("expensive images began decoding while the cheap ones waited (%d done before, "
                + "cheap waited %s, one expensive image takes %s)", expensiveBefore, cheapWait, one).isLessThanOrEqualTo(1);
    }

    private static CountDownLatch entered() {
        CountDownLatch l = new CountDownLatch(1);
        ENTERED.clear();
        ENTERED.add(l);
        return l;
    }

    private static void release() {
        CountDownLatch g = gate;
        gate = null;
        blockIn = "";
        if (g != null) {
            g.countDown();
        }
    }

    private static void awaitValue(AtomicInteger counter, int value) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (counter.get() < value && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertThat(counter).hasValueGreaterThanOrEqualTo(value);
        Thread.sleep(50); // from the decoder's return to the record's next stage
    }

    private static void assertTimeout(Result r, String stage) throws Exception {
        DeadLetter dl = r.deadLetter();
        assertThat(dl.getReason()).isEqualTo(DeadLetterReason.TIMEOUT);
        assertThat(dl.getStage()).isEqualTo(stage);
    }

    /** An image that is slow to decode: random pixels do not compress. */
    static byte[] noisePng(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        java.util.Random rnd = new java.util.Random(7);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rnd.nextInt());
            }
        }
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(img, "png", out);
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
