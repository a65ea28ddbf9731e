package dev.siglipstream.cli;

import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.siglip.image.ImageDecodeException;
import dev.siglipstream.stream.labels.LabelSet;
import dev.siglipstream.stream.labels.LabelSetFile;
import dev.siglipstream.stream.serde.AvroCodec;
import dev.siglipstream.stream.serde.AvroDecodeException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code siglip report}: a self-contained HTML page to look at scored images and pick thresholds.
 *
 * <pre>{@code
 * ./siglip classify --model M --labels cat,dog photos/*.jpg > scores.jsonl
 * ./siglip report scores.jsonl --out report.html
 * ./siglip report --bootstrap 127.0.0.1:9092 --topic scores --images-topic images --label-sets sets.yaml --out report.html
 * }</pre>
 */
@Command(
        name = "report",
        mixinStandardHelpOptions = true,
        description = {
            "Writes a tagging report: one self-contained HTML file (no network needed to view it) with, per label set, "
                    + "a histogram of each label's scores, the set's threshold drawn on it (movable) and how many images pass it, "
                    + "and a grid of thumbnails with score bars, filtered by label set, label and minimum score.",
            "Reads scored events from files (JSON lines printed by classify, consume or demo --out-events; Avro container "
                    + "files of LabelScoreEvents) or from an output topic (read_committed). Images come from --images-topic "
                    + "(inline ImageEvents), from the path or file name in the event (classify's \"image\", the metadata's "
                    + "\"path\", \"file\" or \"uri\"), or from --images DIR by file name or event id. http(s) images are not fetched.",
            "Thresholds: the label set's in --label-sets, else --threshold."
        })
final class ReportCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "FILE", description = "Files of scored events (JSON lines or Avro container files).")
    List<Path> files = new ArrayList<>();

    @ArgGroup(exclusive = false, heading = "Reading an output topic instead of files:%n")
    TopicSource kafka;

    /** The topic flags of {@code consume} (inherited: picocli groups take no mixins), plus where the images are. */
    static final class TopicSource extends TopicReadOptions {
        @Option(names = "--images-topic", paramLabel = "TOPIC",
                description = "Topic of the ImageEvents that were scored; their inline images are shown (read_committed, same cluster).")
        String imagesTopic;
    }

    @Option(names = "--images", paramLabel = "DIR",
            description = "Folder to find images in: by the file name an event names, or by event id (with any extension).")
    Path images;

    @Option(names = "--label-sets", paramLabel = "YAML", description = "The job's label-set file: thresholds and label order.")
    Path labelSets;

    @Option(names = "--threshold", defaultValue = "0.5", paramLabel = "X",
            description = "Threshold for label sets not in --label-sets (default: ${DEFAULT-VALUE}, the job's default).")
    float threshold;

    @Option(names = "--thumbnail-size", defaultValue = "128", paramLabel = "PX",
            description = "Longer side of the thumbnails in pixels (default: ${DEFAULT-VALUE}).")
    int thumbnailSize;

    @Option(names = "--title", defaultValue = "siglip tagging report", paramLabel = "TEXT", description = "Page title.")
    String title;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The HTML file to write.")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (files.isEmpty() == (kafka == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "give either files of scored events or --bootstrap B --topic T, not both and not neither");
        }
        if (thumbnailSize < 16 || thumbnailSize > 1024) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--thumbnail-size must be 16..1024, got " + thumbnailSize);
        }
        if (images != null && !Files.isDirectory(images)) {
            throw new IllegalArgumentException("--images " + images + " is not a folder");
        }
        PrintWriter err = spec.commandLine().getErr();
        List<ReportEvents.Event> events = new ArrayList<>();
        int skipped = 0;
        String source;
        Map<String, byte[]> inline = Map.of();
        if (kafka == null) {
            for (Path f : files) {
                ReportEvents.Read r = ReportEvents.read(f);
                events.addAll(r.events());
                skipped += r.skipped();
            }
            source = "From " + String.join(", ", files.stream().map(Path::toString).toList()) + ".";
        } else {
            TopicReadOptions t = kafka;
            AvroCodec<LabelScoreEvent> codec = AvroCodec.create(LabelScoreEvent.class, t.wireFormat, t.schemaId);
            int[] other = {0};
            t.read(r -> {
                try {
                    events.add(ReportEvents.of(codec.decode(r.value())));
                } catch (AvroDecodeException e) {
                    other[0]++;
                }
            });
            skipped += other[0];
            source = "From topic " + t.topic + " on " + t.bootstrap + " (read_committed).";
            if (kafka.imagesTopic != null) inline = inlineImages(t, kafka.imagesTopic, events);
        }
        if (events.isEmpty()) {
            throw new IllegalArgumentException("no scored events found" + (skipped > 0 ? " (" + skipped + " other records or lines skipped)" : "")
                    + "; expected LabelScoreEvents or classify output");
        }
        ReportThumbnails thumbs = new ReportThumbnails(inline, images, thumbnailSize);
        int[] thumbnailOf = new int[events.size()];
        List<String> uris = thumbnails(events, thumbs, thumbnailOf, err);

        Map<String, List<String>> order = new HashMap<>();
        Map<String, TaggingReport.Threshold> thresholds = new HashMap<>();
        if (labelSets != null) {
            for (LabelSet s : LabelSetFile.read(labelSets)) {
                order.put(s.id(), s.labels());
                if (s.threshold() != null) thresholds.put(s.id(), new TaggingReport.Threshold(s.threshold(), "from " + labelSets.getFileName()));
            }
        }
        TaggingReport.Threshold fallback = new TaggingReport.Threshold(threshold,
                spec.commandLine().getParseResult().hasMatchedOption("--threshold") ? "--threshold" : "the job's default");
        TaggingReport.write(new TaggingReport.Content(title, source, events, uris, thumbnailOf, order, thresholds, fallback), out);
        long missing = java.util.Arrays.stream(thumbnailOf).filter(i -> i < 0).count();
        err.printf(Locale.ROOT, "siglip report: %d scored events, %d images%s%s -> %s (%,d bytes)%n", events.size(), uris.size(),
                missing > 0 ? ", " + missing + " events without an image (looked in " + thumbs.where() + ")" : "",
                skipped > 0 ? ", " + skipped + " other lines or records skipped" : "", out, Files.size(out));
        err.flush();
        spec.commandLine().getOut().println(out);
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** One thumbnail per distinct image, made in parallel; an unreadable image leaves its events without one. */
    private static List<String> thumbnails(List<ReportEvents.Event> events, ReportThumbnails thumbs, int[] thumbnailOf, PrintWriter err) {
        Map<String, Integer> keys = new LinkedHashMap<>();
        String[] keyOf = new String[events.size()];
        for (int i = 0; i < events.size(); i++) {
            keyOf[i] = thumbs.locate(events.get(i));
            if (keyOf[i] != null) keys.putIfAbsent(keyOf[i], keys.size());
        }
        List<String> keyList = new ArrayList<>(keys.keySet());
        Map<String, String> made = new ConcurrentHashMap<>();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        keyList.parallelStream().forEach(k -> {
            try {
                made.put(k, thumbs.dataUri(thumbs.bytes(k)));
            } catch (IOException | ImageDecodeException | RuntimeException e) {
                failures.add(k + ": " + e.getMessage());
            }
        });
        failures.stream().sorted().limit(10).forEach(f -> err.println("siglip report: cannot read image " + f));
        List<String> uris = new ArrayList<>();
        Map<String, Integer> index = new HashMap<>();
        for (String k : keyList) {
            if (made.containsKey(k)) {
                index.put(k, uris.size());
                uris.add(made.get(k));
            }
        }
        for (int i = 0; i < events.size(); i++) thumbnailOf[i] = keyOf[i] == null ? -1 : index.getOrDefault(keyOf[i], -1);
        return uris;
    }

    /** The inline images of the scored events' ImageEvents (other records on the topic are ignored). */
    private static Map<String, byte[]> inlineImages(TopicReadOptions t, String topic, List<ReportEvents.Event> events) {
        Set<String> wanted = new HashSet<>();
        events.forEach(e -> wanted.add(e.id()));
        AvroCodec<ImageEvent> codec = AvroCodec.create(ImageEvent.class, t.wireFormat, t.schemaId);
        Map<String, byte[]> out = new HashMap<>();
        t.read(topic, Integer.MAX_VALUE, r -> {
            try {
                ImageEvent e = codec.decode(r.value());
                ByteBuffer b = e.getImage();
                if (b != null && wanted.contains(e.getId())) {
                    byte[] bytes = new byte[b.remaining()];
                    b.duplicate().get(bytes);
                    out.put(e.getId(), bytes);
                }
            } catch (AvroDecodeException ignored) {
                // not an ImageEvent (e.g. the demo's malformed record): nothing to show
            }
        });
        return out;
    }
}
