package dev.siglipstream.stream.options;

import dev.siglipstream.stream.registry.RegistrySettings;
import dev.siglipstream.stream.registry.SubjectNameStrategy;
import dev.siglipstream.stream.serde.WireFormat;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import picocli.CommandLine.Option;

/**
 * The schema registry flags, shared by {@code ./siglip run} (through {@link JobArguments}) and the
 * {@code produce}, {@code consume} and {@code label-set} commands, so every side speaks to the
 * registry the same way. Each flag sets one {@code siglip.schema-registry.*} {@link JobOptions}
 * key; the rest (cache size, timeouts, retries, trust store type) are {@code -D} settings of the job.
 */
public final class RegistryArguments {
    @Option(names = "--schema-registry", paramLabel = "URL", split = ",",
            description = "Confluent-compatible schema registry URL(s) (needs --wire-format confluent), e.g. "
                    + "http://registry:8081 or http://apicurio:8080/apis/ccompat/v7.")
    List<String> urls;

    @Option(names = "--schema-registry-user-info", paramLabel = "USER:PASSWORD",
            description = "HTTP basic auth for the schema registry.")
    String userInfo;

    @Option(names = "--schema-registry-token", paramLabel = "TOKEN",
            description = "Bearer token for the schema registry (instead of basic auth).")
    String token;

    @Option(names = "--schema-registry-truststore", paramLabel = "FILE",
            description = "PKCS12 trust store for an https schema registry.")
    String trustStore;

    @Option(names = "--schema-registry-truststore-password", paramLabel = "PASSWORD",
            description = "Password of the trust store.")
    String trustStorePassword;

    @Option(names = "--subject-strategy", paramLabel = "S",
            description = "topic-name (<topic>-value, the default), record-name or topic-record-name.")
    String subjectStrategy;

    @Option(names = "--auto-register", paramLabel = "BOOL", arity = "0..1", fallbackValue = "true",
            description = "Register the written schema under its subject (default true); false looks its id up.")
    Boolean autoRegister;

    /** Sets the {@code siglip.schema-registry.*} keys these flags name. */
    public void applyTo(Configuration conf) {
        if (urls != null && !urls.isEmpty()) {
            conf.set(JobOptions.SCHEMA_REGISTRY_URL, urls);
        }
        put(conf, JobOptions.SCHEMA_REGISTRY_BASIC_AUTH, userInfo);
        put(conf, JobOptions.SCHEMA_REGISTRY_BEARER_TOKEN, token);
        put(conf, JobOptions.SCHEMA_REGISTRY_TRUSTSTORE, trustStore);
        put(conf, JobOptions.SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD, trustStorePassword);
        if (subjectStrategy != null) {
            try {
                conf.set(JobOptions.SCHEMA_REGISTRY_SUBJECT_STRATEGY,
                        SubjectNameStrategy.valueOf(EnumSpelling.constantName(subjectStrategy)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--subject-strategy: expected one of "
                        + EnumSpelling.spellings(SubjectNameStrategy.class) + ", got '" + subjectStrategy + "'", e);
            }
        }
        put(conf, JobOptions.SCHEMA_REGISTRY_AUTO_REGISTER, autoRegister);
    }

    /** The registry settings of these flags for a command's {@code wire} format, or null without --schema-registry. */
    public RegistrySettings settings(WireFormat wire) {
        Configuration conf = new Configuration();
        conf.set(JobOptions.WIRE_FORMAT, wire);
        applyTo(conf);
        return RegistrySettings.fromConfiguration(conf);
    }

    private static <T> void put(Configuration conf, org.apache.flink.configuration.ConfigOption<T> option, T value) {
        if (value != null) {
            conf.set(option, value);
        }
    }
}
