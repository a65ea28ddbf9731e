package dev.siglipstream.stream.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.siglipstream.stream.options.BackfillOptions;
import dev.siglipstream.stream.options.JobOptions;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class KafkaStoppingOffsetsTest {
    @Test
    void latestTimestampsAndExplicitOffsetsAreRead() {
        assertThat(KafkaStoppingOffsets.parse(" Latest ").getClass()).isEqualTo(OffsetsInitializer.latest().getClass());
        assertThat(KafkaStoppingOffsets.parse("timestamp:1700000000000").getClass())
                .isEqualTo(OffsetsInitializer.timestamp(1L).getClass());
        assertThat(KafkaStoppingOffsets.parse("timestamp:2026-01-31T00:00:00Z").getClass())
                .isEqualTo(OffsetsInitializer.timestamp(1L).getClass());
        assertThat(KafkaStoppingOffsets.parse("images:0:100, my:topic:1:250").getClass())
                .isEqualTo(OffsetsInitializer.offsets(Map.of(new TopicPartition("t", 0), 1L)).getClass());
    }

    @Test
    void wrongSpellingsNameTheOption() {
        for (String bad : List.of("earliest", "images:0", "images:x:1", "images:0:-1", "images:0:1,images:0:2", "timestamp:yesterday")) {
            assertThatThrownBy(() -> KafkaStoppingOffsets.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("siglip.kafka.stopping-offsets");
        }
    }

    @Test
    void aBoundedJobRefusesALabelSetTopicAndFilesRefuseInputTopics() {
        Configuration files = new Configuration();
        files.set(JobOptions.MODEL, "m");
        files.set(BackfillOptions.INPUT, "/data/images");
        files.set(BackfillOptions.OUTPUT_PATH, "/data/out");
        SiglipStreamJob.validate(files); // neither Kafka input nor output: no bootstrap needed

        Configuration both = files.clone();
        both.set(JobOptions.INPUT_TOPICS, List.of("images"));
        assertThatThrownBy(() -> SiglipStreamJob.validate(both)).hasMessageContaining("not both");

        Configuration range = new Configuration();
        range.set(JobOptions.MODEL, "m");
        range.set(JobOptions.BOOTSTRAP_SERVERS, "k:9092");
        range.set(JobOptions.INPUT_TOPICS, List.of("images"));
        range.set(JobOptions.STOPPING_OFFSETS, "latest");
        range.set(JobOptions.LABEL_SET_TOPIC, "label-sets");
        range.set(JobOptions.DEFAULT_LABEL_SET, "x");
        assertThatThrownBy(() -> SiglipStreamJob.validate(range)).hasMessageContaining("cannot follow a label-set topic");

        Configuration kafkaOut = files.clone();
        kafkaOut.removeConfig(BackfillOptions.OUTPUT_PATH);
        assertThatThrownBy(() -> SiglipStreamJob.validate(kafkaOut)).hasMessageContaining("no Kafka bootstrap servers");
    }
}
