package dev.siglipstream.jmh;

import dev.siglipstream.siglip.image.ImageDecodeException;
import dev.siglipstream.siglip.image.ImageDecoder;
import dev.siglipstream.siglip.image.ImageProcessorConfig;
import dev.siglipstream.siglip.image.PillowResize;
import dev.siglipstream.siglip.image.RgbImage;
import dev.siglipstream.siglip.image.SiglipImageProcessor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The preprocessing hot loops on the bundled 640×480 bench JPEG, one thread: decode, bicubic resize
 * to 224×224, normalise into a direct FloatBuffer, and all of it together.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class PreprocessBenchmark {
    private static final int SIZE = 224;

    private byte[] jpeg;
    private ImageDecoder decoder;
    private SiglipImageProcessor processor;
    private RgbImage decoded;
    private RgbImage resized;
    private FloatBuffer pixels;

    @Setup
    public void setUp() throws IOException, ImageDecodeException {
        try (InputStream in = PreprocessBenchmark.class.getResourceAsStream("/bench/coco-640x480.jpg")) {
            if (in == null) throw new IOException("/bench/coco-640x480.jpg is not on the class path");
            jpeg = in.readAllBytes();
        }
        decoder = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS);
        processor = new SiglipImageProcessor(ImageProcessorConfig.defaults().withSize(SIZE, SIZE),
                ImageDecoder.DEFAULT_MAX_PIXELS);
        decoded = decoder.decode(jpeg);
        resized = PillowResize.bicubic(decoded, SIZE, SIZE);
        pixels = SiglipImageProcessor.allocate(1, SIZE, SIZE);
    }

    /** Decode to RGB into a fresh array (the public {@code decode}). */
    @Benchmark
    public RgbImage decode() throws ImageDecodeException {
        return decoder.decode(jpeg);
    }

    /** 640×480 → 224×224 bicubic, Pillow-exact, into a fresh image (plan built per call). */
    @Benchmark
    public RgbImage resize() {
        return PillowResize.bicubic(decoded, SIZE, SIZE);
    }

    /** Rescale + normalise + HWC→CHW of a 224×224 image into the direct buffer. */
    @Benchmark
    public FloatBuffer normalise() {
        pixels.clear();
        processor.preprocess(resized, pixels);
        return pixels;
    }

    /** Resize fused with normalisation (reused plan, rows normalised straight into the buffer). */
    @Benchmark
    public FloatBuffer resizeNormalise() {
        pixels.clear();
        processor.preprocess(decoded, pixels);
        return pixels;
    }

    /** JPEG bytes → pixel_values, as the pipeline does it. */
    @Benchmark
    public FloatBuffer full() throws ImageDecodeException {
        pixels.clear();
        processor.preprocess(jpeg, pixels);
        return pixels;
    }
}
