package dev.siglipstream.stream.job;

import static dev.siglipstream.stream.job.JobHarness.countByKey;
import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.stream.options.JobIdentity;
import dev.siglipstream.stream.options.JobOptions;
import dev.siglipstream.testutils.KafkaFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
 * Two deployments of the job with different topics on one Kafka at the same time, neither setting a
 * group id nor a transactional id prefix: the defaults derived from each job's identity keep their
 * consumer groups and transactions apart (with one shared default, each start fenced the other's
 * producers), and each scores all its ids exactly once.
 */
class TwoJobsOneBrokerITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    @RegisterExtension
    static final KafkaFixture KAFKA = new KafkaFixture();

    @TempDir Path dir;

    @Test
    void twoJobsWithDefaultIdsDoNotShareGroupsOrFenceEachOther() throws Exception {
        Path sets = JobHarness.labelSetFile(dir, """
                label-sets:
                  - id: shapes
                    labels: [circle, square]
                """);
        List<byte[]> images = JobHarness.images(8, 3);
        int n = 1200;
        List<JobClient> jobs = new ArrayList<>();
        List<Configuration> confs = new ArrayList<>();
        try {
            for (String p : List.of("left", "right")) {
                KAFKA.createTopic(p + "-images", 2);
                KAFKA.createTopic(p + "-labels", 2);
                KAFKA.createTopic(p + "-dead", 2);
                Configuration conf = JobHarness.conf(KAFKA, p, SiglipStreamJobITCase.MODEL, sets);
                conf.removeConfig(JobOptions.GROUP_ID);
                conf.removeConfig(JobOptions.TRANSACTIONAL_ID_PREFIX);
                conf.set(JobOptions.PARALLELISM, 1);
                confs.add(conf);
                StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
                env.configure(conf);
                SiglipStreamJob.build(env, conf, SiglipStreamJobITCase.LOADER);
                jobs.add(env.executeAsync("two-jobs-" + p));
            }
            JobIdentity left = JobIdentity.of(confs.get(0));
            JobIdentity right = JobIdentity.of(confs.get(1));
            assertThat(left.groupId(confs.get(0))).isNotEqualTo(right.groupId(confs.get(1)));
            assertThat(left.transactionalIdPrefix(confs.get(0))).isNotEqualTo(right.transactionalIdPrefix(confs.get(1)));

            // Both jobs consume and commit transactions at the same time.
            for (String p : List.of("left", "right")) {
                List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    records.add(JobHarness.record(p + "-images",
                            JobHarness.event(p + i, images.get(i % images.size())).setLabelSetId("shapes").build()));
                }
                KAFKA.produce(records, true);
            }
            for (int j = 0; j < 2; j++) {
                String p = j == 0 ? "left" : "right";
                List<ConsumerRecord<byte[], byte[]>> out = JobHarness.await(jobs.get(j), KAFKA, p + "-labels", n, Duration.ofMinutes(3));
                List<ConsumerRecord<byte[], byte[]>> settled = JobHarness.committed(KAFKA, p + "-labels", n + 1, Duration.ofSeconds(3));
                Map<String, Integer> counts = countByKey(settled);
                assertThat(out).hasSizeGreaterThanOrEqualTo(n);
                assertThat(counts).as(p).hasSize(n).allSatisfy((k, c) -> assertThat(c).as(k).isEqualTo(1));
                assertThat(counts.keySet()).allMatch(k -> k.startsWith(p));
                assertThat(JobHarness.committed(KAFKA, p + "-dead", 1, Duration.ofSeconds(1))).isEmpty();
            }
            // Neither job failed (a fenced producer fails its job: restart-strategy none).
            for (JobClient job : jobs) {
                assertThat(job.getJobStatus().get().isTerminalState()).isFalse();
            }
        } finally {
            for (JobClient job : jobs) {
                job.cancel().get();
            }
        }
    }
}
