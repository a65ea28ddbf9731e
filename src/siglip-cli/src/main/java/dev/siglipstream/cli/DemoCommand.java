package dev.siglipstream.cli;

import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.events.LabelScore;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.siglip.onnx.ModelVariant;
import dev.siglipstream.stream.job.SiglipStreamJob;
import dev.siglipstream.stream.kafka.EmbeddedKafkaBroker;
import dev.siglipstream.stream.model.SiglipModelLoader;
import dev.siglipstream.stream.options.JobOptions;
import dev.siglipstream.stream.serde.AvroCodec;
import dev.siglipstream.stream.serde.EventJson;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code siglip demo}: the whole job on embedded defaults — an in-process Kafka broker, a local
 * Flink, the bundled sample images and label sets, and a model (downloaded when online, else the
 * bundled tiny test model) — printing scored events as they arrive, then a summary.
 *
 * <pre>{@code
 * ./siglip demo                # tries Xenova/siglip-base-patch16-224 (quantized), else the tiny model
 * ./siglip demo --offline      # the bundled tiny model straight away
 * }</pre>
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the streaming job end to end on embedded defaults: in-process Kafka, local Flink, bundled images",
            "and label sets. Prints each scored event and dead letter as it arrives, then a summary, and exits."
        })
final class DemoCommand implements Callable<Integer> {
    static final String IMAGES = "demo-images";
    static final String LABELS = "demo-labels";
    static final String ANIMALS = "demo-animals";
    static final String DEAD = "demo-dead-letters";
    static final String CONTROL = "demo-label-sets";

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", defaultValue = "Xenova/siglip-base-patch16-224", paramLabel = "M",
            description = "Model folder or Hub repo id to try first (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--variant", defaultValue = "quantized", paramLabel = "V",
            description = "Weight variant to download: fp32, fp16 or quantized (default: ${DEFAULT-VALUE}, the smallest).")
    String variant;

    @Option(names = "--offline", description = "Do not try to download; use the bundled tiny model.")
    boolean offline;

    @Option(names = "--timeout", defaultValue = "180s", paramLabel = "DURATION",
            description = "Give up waiting for results after this long (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--out-events", paramLabel = "FILE",
            description = "Also write every scored event and dead letter as a JSON line to FILE (as consume prints them), "
                    + "e.g. for: ./siglip report FILE --images src/siglip-cli/src/main/resources/demo/images --out report.html")
    Path outEvents;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path work = Files.createTempDirectory("siglip-demo");
        Path demo = extractBundle(work.resolve("bundle"));
        String modelUsed = pickModel(demo, err);
        boolean tiny = modelUsed.equals(demo.resolve("model").toString());

        long started = System.nanoTime();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(work.resolve("kafka"), 0)) {
            broker.createTopic(IMAGES, 2);
            broker.createTopic(LABELS, 1);
            broker.createTopic(ANIMALS, 1);
            broker.createTopic(DEAD, 1);
            broker.createTopic(CONTROL, 1, Map.of("cleanup.policy", "compact"));
            err.println("siglip demo: Kafka broker at " + broker.bootstrapServers());
            err.flush();

            List<String> ids = produceEvents(broker.bootstrapServers(), demo.resolve("images"));
            Configuration conf = jobConfiguration(broker.bootstrapServers(), modelUsed, demo.resolve("label-sets.yaml"));
            // In-flight images are part of the async operator's checkpoint: too big for the JobManager's heap storage.
            conf.setString("execution.checkpointing.storage", "filesystem");
            conf.setString("execution.checkpointing.dir", work.resolve("checkpoints").toUri().toString());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            SiglipStreamJob.build(env, conf, new SiglipModelLoader(conf.get(JobOptions.MAX_IMAGE_PIXELS)));
            JobClient job = env.executeAsync("siglip-demo");
            err.println("siglip demo: job " + job.getJobID() + " started on a local Flink; " + ids.size()
                    + " image events produced to " + IMAGES);
            if (tiny) {
                err.println("siglip demo: NOTE: the bundled tiny test model has random weights: its scores are meaningless.");
            }
            err.flush();
            Summary summary;
            try (PrintWriter events = outEvents == null ? null : new PrintWriter(Files.newBufferedWriter(outEvents, StandardCharsets.UTF_8))) {
                summary = collect(broker.bootstrapServers(), ids.size(), org.apache.flink.util.TimeUtils.parseDuration(timeout), job, out, events);
            }
            job.cancel().get();
            double seconds = (System.nanoTime() - started) / 1e9;
            out.printf(Locale.ROOT, "summary: %d events, %d scored (%s), %d dead letters %s, model %s%s, %.1f s%n",
                    ids.size(), summary.scored, summary.perSet, summary.dead, summary.deadReasons, modelUsed,
                    tiny ? " (tiny test model, scores meaningless)" : "", seconds);
            out.flush();
            return summary.scored + summary.dead == ids.size() ? 0 : 1;
        } finally {
            deleteQuietly(work);
        }
    }

    private String pickModel(Path demo, PrintWriter err) {
        String bundled = demo.resolve("model").toString();
        if (offline) {
            err.println("siglip demo: --offline: using the bundled tiny test model (its scores are meaningless)");
            return bundled;
        }
        try {
            err.println("siglip demo: fetching " + model + " (" + variant + ") into the Hugging Face cache ...");
            err.flush();
            Path folder = SiglipModelLoader.folder(model, ModelVariant.parse(variant));
            return folder.toString();
        } catch (RuntimeException e) {
            err.println("siglip demo: OFFLINE — could not get " + model + ": " + e.getMessage());
            err.println("siglip demo: using the bundled tiny test model instead; its scores are MEANINGLESS"
                    + " (random weights), only the pipeline is real");
            err.flush();
            return bundled;
        }
    }

    private Configuration jobConfiguration(String bootstrap, String modelFolder, Path labelSets) {
        Configuration c = new Configuration();
        c.set(JobOptions.BOOTSTRAP_SERVERS, bootstrap);
        c.set(JobOptions.INPUT_TOPICS, List.of(IMAGES));
        c.set(JobOptions.OUTPUT_TOPIC, LABELS);
        c.set(JobOptions.DEAD_LETTER_TOPIC, DEAD);
        c.set(JobOptions.LABEL_SET_TOPIC, CONTROL);
        c.set(JobOptions.LABEL_SETS_FILE, labelSets.toString());
        c.set(JobOptions.MODEL, modelFolder);
        c.set(JobOptions.VARIANT, modelFolder.endsWith("model") ? "fp32" : variant);
        c.set(JobOptions.GROUP_ID, "siglip-demo");
        c.set(JobOptions.STARTING_OFFSETS, JobOptions.StartingOffsets.EARLIEST);
        c.set(JobOptions.TRANSACTIONAL_ID_PREFIX, "siglip-demo");
        c.set(JobOptions.TRANSACTION_TIMEOUT, Duration.ofMinutes(5));
        c.set(JobOptions.PARALLELISM, 1);
        c.set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(1));
        c.set(JobOptions.MAX_BATCH_SIZE, 8);
        c.set(JobOptions.MAX_BATCH_DELAY, Duration.ofMillis(20));
        c.set(JobOptions.PREPROCESS_THREADS, 2);
        c.setString("restart-strategy.type", "none");
        return c;
    }

    /** One event per bundled image, alternating label sets, plus one inline-labelled and one malformed event. */
    private static List<String> produceEvents(String bootstrap, Path images) throws IOException {
        AvroCodec<ImageEvent> codec = AvroCodec.plain(ImageEvent.class);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        List<Path> files;
        try (var s = Files.list(images)) {
            files = s.filter(f -> !f.getFileName().toString().endsWith(".md")).sorted().toList();
        }
        int i = 0;
        for (Path f : files) {
            for (String set : List.of("animals", "scenes")) {
                String id = f.getFileName() + "#" + set;
                ImageEvent e = ImageEvent.newBuilder().setId(id).setImage(ByteBuffer.wrap(Files.readAllBytes(f)))
                        .setLabelSetId(set).setMetadata(Map.of("file", f.getFileName().toString()))
                        .setEventTime(Instant.now()).build();
                records.add(new ProducerRecord<>(IMAGES, id.getBytes(StandardCharsets.UTF_8), codec.encode(e)));
                ids.add(id);
            }
            i++;
        }
        ImageEvent inline = ImageEvent.newBuilder().setId("inline-labels").setImage(ByteBuffer.wrap(Files.readAllBytes(files.get(0))))
                .setLabels(List.of("a cat", "a laptop", "a banana")).setMetadata(Map.of("file", files.get(0).getFileName().toString()))
                .setEventTime(Instant.now()).build();
        records.add(new ProducerRecord<>(IMAGES, "inline-labels".getBytes(StandardCharsets.UTF_8), codec.encode(inline)));
        ids.add("inline-labels");
        records.add(new ProducerRecord<>(IMAGES, "not-avro".getBytes(StandardCharsets.UTF_8),
                "this is not an Avro ImageEvent".getBytes(StandardCharsets.UTF_8)));
        ids.add("not-avro");
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("max.request.size", String.valueOf(16 << 20));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (ProducerRecord<byte[], byte[]> r : records) {
                producer.send(r);
            }
            producer.flush();
        }
        return ids;
    }

    private static final class Summary {
        int scored;
        int dead;
        final Map<String, Integer> perSet = new TreeMap<>();
        final Map<String, Integer> deadReasons = new TreeMap<>();
    }

    private static Summary collect(String bootstrap, int expected, Duration timeout, JobClient job, PrintWriter out,
            PrintWriter events) throws Exception {
        AvroCodec<LabelScoreEvent> scores = AvroCodec.plain(LabelScoreEvent.class);
        AvroCodec<DeadLetter> dead = AvroCodec.plain(DeadLetter.class);
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("group.id", "siglip-demo-reader");
        p.put("auto.offset.reset", "earliest");
        p.put("isolation.level", "read_committed");
        Summary s = new Summary();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(LABELS, ANIMALS, DEAD));
            while (s.scored + s.dead < expected && System.nanoTime() < deadline) {
                if (job.getJobStatus().get().isTerminalState()) {
                    job.getJobExecutionResult().get();
                    throw new IllegalStateException("the demo job stopped early");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(250))) {
                    if (r.topic().equals(DEAD)) {
                        DeadLetter d = dead.decode(r.value());
                        if (events != null) events.println(EventJson.toJson(d));
                        s.dead++;
                        s.deadReasons.merge(d.getReason().name(), 1, Integer::sum);
                        out.printf("dead-letter %-28s %s: %s%n", d.getEventId(), d.getReason(), d.getMessage());
                    } else {
                        LabelScoreEvent e = scores.decode(r.value());
                        if (events != null) events.println(EventJson.toJson(e));
                        s.scored++;
                        s.perSet.merge(e.getLabelSetId(), 1, Integer::sum);
                        StringBuilder line = new StringBuilder();
                        for (LabelScore ls : e.getScores()) {
                            line.append(String.format(Locale.ROOT, "%s=%.4f ", ls.getLabel(), ls.getScore()));
                        }
                        out.printf("scored      %-28s [%s v%d -> %s] %smatched=%s%n", e.getEventId(), e.getLabelSetId(),
                                e.getLabelSetVersion(), r.topic(), line, dev.siglipstream.stream.serde.EventJson.matched(e));
                    }
                    out.flush();
                }
            }
        }
        return s;
    }

    /** Copies the bundled demo files (listed in demo/manifest.txt) out of the class path. */
    static Path extractBundle(Path target) throws IOException {
        ClassLoader cl = DemoCommand.class.getClassLoader();
        try (InputStream manifest = cl.getResourceAsStream("demo/manifest.txt")) {
            if (manifest == null) {
                throw new IOException("demo/manifest.txt is not on the class path; rebuild the project");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(manifest, StandardCharsets.UTF_8));
            for (String line; (line = reader.readLine()) != null; ) {
                line = line.trim();
                if (line.isEmpty()) {
                    continue;
                }
                Path dst = target.resolve(line);
                Files.createDirectories(dst.getParent());
                try (InputStream in = cl.getResourceAsStream("demo/" + line)) {
                    if (in == null) {
                        throw new IOException("demo/" + line + " is listed in demo/manifest.txt but missing");
                    }
                    Files.copy(in, dst, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return target;
    }

    private static void deleteQuietly(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // A temporary directory; the OS cleans it eventually.
        }
    }
}
