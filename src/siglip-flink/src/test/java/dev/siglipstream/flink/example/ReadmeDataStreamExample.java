package dev.siglipstream.flink.example;

import dev.siglipstream.flink.CandidateLabels;
import dev.siglipstream.flink.ScoredImage;
import dev.siglipstream.flink.SiglipScoring;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The README's "Use it in your own Flink job" example, compiled and run by
 * {@code ReadmeDataStreamExampleITCase}; the README shows the lines between the markers.
 */
public final class ReadmeDataStreamExample {
    private ReadmeDataStreamExample() {}

    // [readme]
    /** Your own element type: here an id and the encoded image (JPEG, PNG, ...). */
    public record Photo(String id, byte[] image) {}

    /** Scores each photo against a label set; photos that cannot be scored go to a side output. */
    public static SingleOutputStreamOperator<ScoredImage<Photo>> tag(DataStream<Photo> photos, String model) {
        SiglipScoring<Photo> scoring = SiglipScoring.<Photo>builder()
                .model(model) // a model folder (ONNX, Hugging Face layout) or a Hub repo id
                .labelSets(CandidateLabels.of("animals", "a cat", "a dog", "a remote control"))
                .imageBytes(Photo::image)
                .maxBatchSize(16)
                .maxBatchDelay(Duration.ofMillis(20))
                .timeout(Duration.ofSeconds(30))
                .build();
        SingleOutputStreamOperator<ScoredImage<Photo>> scored = scoring.apply(photos);
        scored.getSideOutput(scoring.failures())
                .map(f -> f.element().id() + ": " + f.reason() + " (" + f.message() + ")")
                .print("not scored");
        return scored;
    }

    /** {@code java ... ReadmeDataStreamExample MODEL IMAGE...} */
    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        List<Photo> photos = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            photos.add(new Photo(args[i], Files.readAllBytes(Path.of(args[i]))));
        }
        tag(env.fromData(photos), args[0])
                .map(s -> s.element().id() + ": " + s.labels().get(0).label() + " " + s.labels().get(0).score())
                .print();
        env.execute("tag photos");
    }
    // [/readme]
}
