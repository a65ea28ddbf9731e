package dev.siglipstream.stream.options;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

class JobIdentityTest {
    private static Configuration job(String... inputs) {
        Configuration c = new Configuration();
        c.set(JobOptions.BOOTSTRAP_SERVERS, "k:9092");
        c.set(JobOptions.INPUT_TOPICS, List.of(inputs));
        return c;
    }

    @Test
    void defaultIdsAreDerivedFromNameAndTopicsAndAreStable() {
        Configuration c = job("images");
        JobIdentity id = JobIdentity.of(c);
        assertThat(id).isEqualTo(new JobIdentity("siglip-stream", "images", "image-labels", "image-dead-letters"));
        // a fixed value: a default that changed between versions would orphan the group and the transactions
        assertThat(id.derivedId()).isEqualTo("siglip-stream-images-" + id.derivedId().substring(id.derivedId().length() - 10))
                .matches("siglip-stream-images-[0-9a-f]{10}");
        assertThat(id.groupId(c)).isEqualTo(id.derivedId()).isNotEqualTo("siglip-stream");
        assertThat(id.transactionalIdPrefix(c)).isEqualTo(id.derivedId());
        assertThat(JobIdentity.of(job("images")).derivedId()).isEqualTo(id.derivedId());
        // topic order and repeats do not make another job
        assertThat(JobIdentity.of(job("b", "a", "b")).derivedId()).isEqualTo(JobIdentity.of(job("a", "b")).derivedId())
                .startsWith("siglip-stream-a+b-");
    }

    @Test
    void anotherInputOutputDeadLetterTopicOrNameIsAnotherJob() {
        String base = JobIdentity.of(job("images")).derivedId();
        Configuration output = job("images");
        output.set(JobOptions.OUTPUT_TOPIC, "other-labels");
        Configuration dead = job("images");
        dead.set(JobOptions.DEAD_LETTER_TOPIC, "other-dead");
        Configuration name = job("images");
        name.set(JobOptions.JOB_NAME, "tagger-b");
        Configuration pattern = new Configuration();
        pattern.set(JobOptions.INPUT_PATTERN, "images-.*");
        List<String> ids = List.of(base, JobIdentity.of(job("images2")).derivedId(), JobIdentity.of(output).derivedId(),
                JobIdentity.of(dead).derivedId(), JobIdentity.of(name).derivedId(), JobIdentity.of(pattern).derivedId());
        assertThat(ids).doesNotHaveDuplicates();
        assertThat(JobIdentity.of(name).derivedId()).startsWith("tagger-b-images-");
        assertThat(JobIdentity.of(pattern).derivedId()).startsWith("siglip-stream-pattern-");
        // the Kafka cluster is not part of the group or transactional ids (they live in it) ...
        Configuration elsewhere = job("images");
        elsewhere.set(JobOptions.BOOTSTRAP_SERVERS, "other:9092");
        assertThat(JobIdentity.of(elsewhere).derivedId()).isEqualTo(base);
        // ... but of the local state's name
        JobIdentity id = JobIdentity.of(job("images"));
        assertThat(id.stateKey("k:9092")).isNotEqualTo(id.stateKey("other:9092")).startsWith("siglip-stream-images-");
    }

    @Test
    void explicitSettingsWinAndLongOrOddTopicNamesStayUsable() {
        Configuration c = job("images");
        c.set(JobOptions.GROUP_ID, "my-group");
        c.set(JobOptions.TRANSACTIONAL_ID_PREFIX, "my-tx");
        JobIdentity id = JobIdentity.of(c);
        assertThat(id.groupId(c)).isEqualTo("my-group");
        assertThat(id.transactionalIdPrefix(c)).isEqualTo("my-tx");

        String longId = JobIdentity.of(job("t".repeat(200))).derivedId();
        assertThat(longId).hasSize("siglip-stream-".length() + 40 + 11);
        Configuration odd = job("images");
        odd.set(JobOptions.JOB_NAME, "my job/α");
        assertThat(JobIdentity.of(odd).derivedId()).matches("my_job__-images-[0-9a-f]{10}");
    }

    @Test
    void anIdentityNeedsAnInput() {
        assertThatThrownBy(() -> JobIdentity.of(new Configuration()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--input-topic");
    }
}
