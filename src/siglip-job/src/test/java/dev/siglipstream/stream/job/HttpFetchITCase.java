package dev.siglipstream.stream.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.stream.options.JobOptions;
import dev.siglipstream.testutils.HeaderTrickler;
import dev.siglipstream.testutils.KafkaFixture;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP fetch path of the whole job, against real local servers — possible only with the explicit
 * opt-in for loopback addresses: a good image is fetched and scored, and servers that trickle their
 * headers are cut off at the fetch deadline as FETCH_FAILED dead letters without holding up the
 * inline events sent after them.
 */
class HttpFetchITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @RegisterExtension
    static final KafkaFixture KAFKA = new KafkaFixture();

    @TempDir Path dir;

    @Test
    void aLoopbackServerIsFetchedOnlyWhenAllowedAndTricklingServersAreCutOffWithoutStallingOthers() throws Exception {
        byte[] good = JobHarness.images(1, 9).get(0);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/cat.png", ex -> {
            ex.sendResponseHeaders(200, good.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(good);
            }
        });
        server.start();
        try (HeaderTrickler trickler = HeaderTrickler.start(Duration.ofSeconds(60))) {
            String p = "h";
            KAFKA.createTopic(p + "-images", 1);
            KAFKA.createTopic(p + "-labels", 1);
            KAFKA.createTopic(p + "-dead", 1);
            Path sets = JobHarness.labelSetFile(dir, "label-sets:\n  - id: s\n    labels: [a cat, a dog]\n");
            Configuration conf = JobHarness.conf(KAFKA, p, SiglipStreamJobITCase.MODEL, sets);
            conf.set(JobOptions.PARALLELISM, 1);
            conf.set(JobOptions.URI_ALLOWLIST, List.of("http://127.0.0.1:*"));
            conf.set(JobOptions.FETCH_ALLOW_PRIVATE_ADDRESSES, true);
            conf.set(JobOptions.FETCH_TIMEOUT, Duration.ofSeconds(2));
            conf.set(JobOptions.FETCH_THREADS, 2);
            conf.set(JobOptions.PREPROCESS_THREADS, 1);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.configure(conf);
            SiglipStreamJob.build(env, conf, SiglipStreamJobITCase.LOADER);
            JobClient job = env.executeAsync("itcase-http");

            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            String slow = "http://127.0.0.1:" + trickler.port();
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
            // More trickling servers than fetch threads, then inline events and a good fetch behind them.
            for (int i = 0; i < 4; i++) {
                records.add(JobHarness.record(p + "-images", ImageEvent.newBuilder(JobHarness.event("slow-" + i, null).build())
                        .setImageUri(slow + "/cat-" + i + ".png").build()));
            }
            for (int i = 0; i < 3; i++) {
                records.add(JobHarness.record(p + "-images", JobHarness.event("inline-" + i, good).build()));
            }
            records.add(JobHarness.record(p + "-images", ImageEvent.newBuilder(JobHarness.event("fetched", null).build())
                    .setImageUri(base + "/cat.png").build()));
            long sent = System.nanoTime();
            KAFKA.produce(records, true);

            List<ConsumerRecord<byte[], byte[]>> scored = JobHarness.await(job, KAFKA, p + "-labels", 4, Duration.ofSeconds(60));
            List<ConsumerRecord<byte[], byte[]>> dead = JobHarness.await(job, KAFKA, p + "-dead", 4, Duration.ofSeconds(30));
            Duration took = Duration.ofNanos(System.nanoTime() - sent);
            job.cancel().get();

            Map<String, DeadLetter> deadByKey = new HashMap<>();
            dead.forEach(r -> deadByKey.put(JobHarness.key(r), JobHarness.dead(r)));
            assertThat(deadByKey).containsOnlyKeys("slow-0", "slow-1", "slow-2", "slow-3");
            assertThat(deadByKey.values()).allSatisfy(d -> {
                assertThat(d.getReason()).isEqualTo(DeadLetterReason.FETCH_FAILED);
                assertThat(d.getStage()).isEqualTo("fetch");
                assertThat(d.getMessage()).contains("took longer than the fetch deadline PT2S");
            });
            assertThat(scored).extracting(JobHarness::key).containsExactlyInAnyOrder("inline-0", "inline-1", "inline-2", "fetched");
            assertThat(JobHarness.score(scored.stream().filter(r -> JobHarness.key(r).equals("fetched")).findFirst().orElseThrow())
                    .getScores()).hasSize(2);
            // Two rounds of 2 s deadlines on two fetch threads, checkpoints every 500 ms, and the rest: far
            // below the 60 s the servers would keep trickling for.
            assertThat(took).isLessThan(Duration.ofSeconds(30));
        } finally {
            server.stop(0);
        }
    }
}
