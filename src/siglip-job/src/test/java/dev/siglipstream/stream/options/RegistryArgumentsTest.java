package dev.siglipstream.stream.options;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.siglipstream.stream.registry.RegistrySettings;
import dev.siglipstream.stream.registry.SubjectNameStrategy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The schema registry flags and keys of {@code ./siglip run}, down to the client's settings. */
class RegistryArgumentsTest {
    @TempDir Path dir;

    private static Configuration parse(String... args) {
        return JobArgumentsTest.parse(args);
    }

    @Test
    void flagsAndYamlKeysBecomeTheClientsSettings() throws Exception {
        Path yaml = dir.resolve("job.yaml");
        Files.writeString(yaml, """
                siglip:
                  schema-registry:
                    cache-size: 50
                    retries: 7
                    retry-backoff: 1 s
                    truststore:
                      type: JKS
                """);
        Configuration c = parse("--config", yaml.toString(), "--wire-format", "confluent",
                "--schema-registry", "https://a:8081,https://b:8081", "--schema-registry-user-info", "u:p",
                "--schema-registry-truststore", "/etc/trust.jks", "--schema-registry-truststore-password", "tp",
                "--subject-strategy", "topic-record-name", "--auto-register=false", "-D", "siglip.schema-registry.request-timeout=3s");
        RegistrySettings s = RegistrySettings.fromConfiguration(c);
        assertThat(s.urls()).containsExactly("https://a:8081", "https://b:8081");
        assertThat(s.basicAuthUserInfo()).isEqualTo("u:p");
        assertThat(s.bearerToken()).isNull();
        assertThat(s.trustStore()).isEqualTo("/etc/trust.jks");
        assertThat(s.trustStorePassword()).isEqualTo("tp");
        assertThat(s.trustStoreType()).isEqualTo("JKS");
        assertThat(s.subjectStrategy()).isEqualTo(SubjectNameStrategy.TOPIC_RECORD_NAME);
        assertThat(s.autoRegister()).isFalse();
        assertThat(s.cacheSize()).isEqualTo(50);
        assertThat(s.retries()).isEqualTo(7);
        assertThat(s.retryBackoff()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.requestTimeout()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void defaultsAreNoRegistryAndThenTopicNamesWithAutoRegister() {
        assertThat(RegistrySettings.fromConfiguration(parse("--wire-format", "confluent"))).isNull();
        RegistrySettings s = RegistrySettings.fromConfiguration(parse("--wire-format", "confluent", "--schema-registry", "http://r:8081",
                "--schema-registry-token", "t"));
        assertThat(s.subjectStrategy()).isEqualTo(SubjectNameStrategy.TOPIC_NAME);
        assertThat(s.autoRegister()).isTrue();
        assertThat(s.bearerToken()).isEqualTo("t");
        assertThat(s).isEqualTo(RegistrySettings.of("http://r:8081").withAuth(null, "t"));
    }

    @Test
    void mistakesAreNamed() {
        assertThatThrownBy(() -> RegistrySettings.fromConfiguration(parse("--schema-registry", "http://r:8081")))
                .hasMessageContaining("siglip.schema-registry.url needs siglip.kafka.wire-format confluent");
        assertThatThrownBy(() -> parse("--subject-strategy", "topic"))
                .hasMessageContaining("--subject-strategy: expected one of [topic-name, record-name, topic-record-name]");
        assertThatThrownBy(() -> RegistrySettings.fromConfiguration(parse("--wire-format", "confluent",
                "--schema-registry", "r:8081"))).hasMessageContaining("must start with http:// or https://");
        assertThatThrownBy(() -> RegistrySettings.fromConfiguration(parse("--wire-format", "confluent",
                "--schema-registry", "http://r", "--schema-registry-user-info", "u:p", "--schema-registry-token", "t")))
                .hasMessageContaining("not both");
        assertThatThrownBy(() -> parse("-D", "siglip.schema-registry.cache-sise=5")).hasMessageContaining("unknown setting");
    }

    @Test
    void subjectNamesFollowConfluentsStrategies() {
        org.apache.avro.Schema schema = dev.siglipstream.events.LabelScoreEvent.getClassSchema();
        assertThat(SubjectNameStrategy.TOPIC_NAME.subject("image-labels", schema)).isEqualTo("image-labels-value");
        assertThat(SubjectNameStrategy.RECORD_NAME.subject("image-labels", schema)).isEqualTo("dev.siglipstream.events.LabelScoreEvent");
        assertThat(SubjectNameStrategy.TOPIC_RECORD_NAME.subject("image-labels", schema))
                .isEqualTo("image-labels-dev.siglipstream.events.LabelScoreEvent");
        assertThatThrownBy(() -> SubjectNameStrategy.TOPIC_NAME.subject(null, schema)).hasMessageContaining("needs the topic");
    }
}
