package dev.siglipstream.stream.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.siglipstream.stream.options.JobOptions;
import dev.siglipstream.testutils.KafkaFixture;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The start-up check against a real broker: the job is not built (so never submitted to restart
 * over and over) when the bootstrap address does not answer or an input topic is missing, the error
 * names them, and it can wait for a topic that is about to be created. Pattern subscriptions only
 * need the cluster.
 */
class KafkaStartupCheckITCase {
    @RegisterExtension
    static final KafkaFixture KAFKA = new KafkaFixture();

    private static Configuration conf(String bootstrap, String prefix) {
        Configuration c = JobHarness.conf(KAFKA, prefix, SiglipStreamJobITCase.MODEL, null);
        c.set(JobOptions.BOOTSTRAP_SERVERS, bootstrap);
        c.set(JobOptions.STARTUP_CHECK_TIMEOUT, Duration.ofSeconds(3));
        return c;
    }

    private static void build(Configuration conf) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        SiglipStreamJob.build(env, conf, SiglipStreamJobITCase.LOADER);
    }

    @Test
    void anUnreachableBootstrapFailsAtOnceNamingTheAddress() {
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> build(conf("127.0.0.1:1", "unreachable")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("cannot reach Kafka at 127.0.0.1:1 within 3s")
                .hasMessageContaining("siglip.kafka.startup-check-timeout: 0 skips this check");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aMissingInputTopicFailsNamingItUnlessTheJobWaitsForIt() throws Exception {
        KAFKA.createTopic("present-images", 1);
        Configuration c = conf(KAFKA.bootstrapServers(), "present");
        c.set(JobOptions.INPUT_TOPICS, List.of("present-images", "absent-images"));
        assertThatThrownBy(() -> build(c))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("input topic absent-images does not exist on " + KAFKA.bootstrapServers()
                        + ": create it, or let the job wait for them with --wait-for-topics (siglip.kafka.wait-for-topics)");

        c.set(JobOptions.INPUT_TOPICS, List.of("present-images", "late-images"));
        c.set(JobOptions.WAIT_FOR_TOPICS, Duration.ofSeconds(30));
        CompletableFuture<Void> built = CompletableFuture.runAsync(() -> build(c));
        Thread.sleep(1500);
        assertThat(built).as("waiting for late-images").isNotDone();
        KAFKA.createTopic("late-images", 1);
        built.get(20, TimeUnit.SECONDS);

        c.set(JobOptions.INPUT_TOPICS, List.of("never-images"));
        c.set(JobOptions.WAIT_FOR_TOPICS, Duration.ofSeconds(1));
        assertThatThrownBy(() -> build(c)).hasMessageStartingWith("input topic never-images does not exist on "
                + KAFKA.bootstrapServers() + " (waited 1s)");
    }

    @Test
    void aPatternNeedsOnlyTheClusterAndTheCheckCanBeSwitchedOff() {
        Configuration c = conf(KAFKA.bootstrapServers(), "pattern");
        c.removeConfig(JobOptions.INPUT_TOPICS);
        c.set(JobOptions.INPUT_PATTERN, "pattern-images-.*"); // no such topic yet: the source finds them as they appear
        build(c);

        Configuration off = conf("127.0.0.1:1", "off");
        off.set(JobOptions.STARTUP_CHECK_TIMEOUT, Duration.ZERO);
        build(off); // nothing asked: the client that submits may not reach Kafka at all
    }
}
