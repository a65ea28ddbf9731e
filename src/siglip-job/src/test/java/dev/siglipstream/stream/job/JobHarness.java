package dev.siglipstream.stream.job;

import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.events.LabelSetUpdate;
import dev.siglipstream.stream.labels.LabelSet;
import dev.siglipstream.stream.options.JobOptions;
import dev.siglipstream.stream.serde.AvroCodec;
import dev.siglipstream.testutils.KafkaFixture;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/** Shared helpers of the job ITCases: generated images, events, job settings and output readers. */
final class JobHarness {
    static final AvroCodec<ImageEvent> IMAGES = AvroCodec.plain(ImageEvent.class);
    static final AvroCodec<LabelScoreEvent> SCORES = AvroCodec.plain(LabelScoreEvent.class);
    static final AvroCodec<DeadLetter> DEAD = AvroCodec.plain(DeadLetter.class);
    static final AvroCodec<LabelSetUpdate> UPDATES = AvroCodec.plain(LabelSetUpdate.class);

    private JobHarness() {}

    /** {@code count} distinct small images (PNG and JPEG alternating), each a few coloured shapes. */
    static List<byte[]> images(int count, long seed) {
        return dev.siglipstream.siglip.image.PreprocessBench.shapeImages(count, seed, i -> i % 2 == 0 ? "png" : "jpg");
    }

    static byte[] encode(BufferedImage img, String format) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ImageIO.write(img, format, bytes);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ImageEvent.Builder event(String id, byte[] image) {
        return ImageEvent.newBuilder().setId(id).setImage(image == null ? null : ByteBuffer.wrap(image))
                .setMetadata(Map.of("n", id)).setEventTime(Instant.ofEpochMilli(1_700_000_000_000L));
    }

    static ProducerRecord<byte[], byte[]> record(String topic, ImageEvent e) {
        return new ProducerRecord<>(topic, e.getId().getBytes(StandardCharsets.UTF_8), IMAGES.encode(e));
    }

    static ProducerRecord<byte[], byte[]> update(String topic, LabelSet set) {
        return new ProducerRecord<>(topic, set.id().getBytes(StandardCharsets.UTF_8), UPDATES.encode(set.toUpdate()));
    }

    static Path labelSetFile(Path dir, String yaml) throws IOException {
        Path f = dir.resolve("label-sets.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    /** Settings every ITCase job shares: parallelism 2, checkpoints every 500 ms, small batches. */
    static Configuration conf(KafkaFixture kafka, String prefix, String model, Path labelSets) {
        Configuration c = new Configuration();
        c.set(JobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        c.set(JobOptions.INPUT_TOPICS, List.of(prefix + "-images"));
        c.set(JobOptions.OUTPUT_TOPIC, prefix + "-labels");
        c.set(JobOptions.DEAD_LETTER_TOPIC, prefix + "-dead");
        c.set(JobOptions.GROUP_ID, prefix);
        c.set(JobOptions.TRANSACTIONAL_ID_PREFIX, prefix);
        c.set(JobOptions.TRANSACTION_TIMEOUT, Duration.ofMinutes(2));
        c.set(JobOptions.STARTING_OFFSETS, JobOptions.StartingOffsets.EARLIEST);
        c.set(JobOptions.MODEL, model);
        c.set(JobOptions.PARALLELISM, 2);
        c.set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
        c.set(JobOptions.MAX_BATCH_SIZE, 16);
        c.set(JobOptions.MAX_BATCH_DELAY, Duration.ofMillis(5));
        c.set(JobOptions.PREPROCESS_THREADS, 2);
        c.set(JobOptions.ASYNC_TIMEOUT, Duration.ofSeconds(60));
        // A job failure ends the test at once instead of restarting forever.
        c.setString("restart-strategy.type", "none");
        if (labelSets != null) {
            c.set(JobOptions.LABEL_SETS_FILE, labelSets.toString());
        }
        return c;
    }

    /** Committed (read_committed) records of {@code topic}, waiting until {@code count} arrived. */
    static List<ConsumerRecord<byte[], byte[]>> committed(KafkaFixture kafka, String topic, int count, Duration timeout) {
        return kafka.consume(topic, count, timeout);
    }

    /**
     * Committed records of {@code topic}, waiting until {@code count} arrived, the timeout passed, or
     * the job stopped (then failing with its status, instead of waiting out the timeout).
     */
    static List<ConsumerRecord<byte[], byte[]>> await(org.apache.flink.core.execution.JobClient job, KafkaFixture kafka,
            String topic, int count, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<ConsumerRecord<byte[], byte[]>> got = kafka.consume(topic, count, Duration.ofSeconds(5));
            if (got.size() >= count || System.nanoTime() > deadline) {
                return got;
            }
            org.apache.flink.api.common.JobStatus status = job.getJobStatus().get();
            if (status.isTerminalState()) {
                try {
                    job.getJobExecutionResult().get();
                } catch (Exception e) {
                    throw new AssertionError("the job stopped (" + status + ") with " + got.size() + " of " + count
                            + " records on " + topic, e);
                }
                throw new AssertionError("the job stopped (" + status + ") with " + got.size() + " of " + count
                        + " records on " + topic);
            }
        }
    }

    /** Every record written to {@code topic}, aborted transactions included (read_uncommitted). */
    static List<ConsumerRecord<byte[], byte[]>> raw(KafkaFixture kafka, String topic) {
        Properties p = kafka.consumerProperties();
        p.put("isolation.level", "read_uncommitted");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo i : consumer.partitionsFor(topic, Duration.ofSeconds(10))) {
                parts.add(new TopicPartition(i.topic(), i.partition()));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                boolean done = true;
                for (TopicPartition tp : parts) {
                    if (consumer.position(tp) < end.get(tp)) {
                        done = false;
                    }
                }
                if (done) {
                    break;
                }
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    static String key(ConsumerRecord<byte[], byte[]> r) {
        return new String(r.key(), StandardCharsets.UTF_8);
    }

    static LabelScoreEvent score(ConsumerRecord<byte[], byte[]> r) {
        try {
            return SCORES.decode(r.value());
        } catch (Exception e) {
            throw new AssertionError("not a LabelScoreEvent at " + r.topic() + "@" + r.offset(), e);
        }
    }

    static DeadLetter dead(ConsumerRecord<byte[], byte[]> r) {
        try {
            return DEAD.decode(r.value());
        } catch (Exception e) {
            throw new AssertionError("not a DeadLetter at " + r.topic() + "@" + r.offset(), e);
        }
    }

    /** Counts per key: the duplicates are the keys seen more than once. */
    static Map<String, Integer> countByKey(List<ConsumerRecord<byte[], byte[]>> records) {
        Map<String, Integer> counts = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            counts.merge(key(r), 1, Integer::sum);
        }
        return counts;
    }
}
