package dev.siglipstream.stream.registry;

import dev.siglipstream.stream.options.JobOptions;
import dev.siglipstream.stream.serde.WireFormat;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.apache.flink.configuration.Configuration;

/**
 * Where the schema registry is and how to talk to it: the job's {@code siglip.schema-registry.*}
 * options and the CLI's {@code --schema-registry*} flags, as one serializable value.
 *
 * @param urls base URLs of the Confluent-compatible API, tried in turn (e.g. {@code
 *     http://registry:8081}, or Apicurio's {@code http://apicurio:8080/apis/ccompat/v7})
 * @param basicAuthUserInfo {@code user:password} for HTTP basic auth, or null
 * @param bearerToken a token sent as {@code Authorization: Bearer ...}, or null
 * @param trustStore a trust store file for HTTPS (PKCS12 or JKS), or null for the JVM's
 * @param trustStorePassword its password, or null
 * @param trustStoreType {@code PKCS12} or {@code JKS}
 * @param subjectStrategy how subjects are named
 * @param autoRegister register the job's output schemas (true), or only look their ids up
 * @param cacheSize most schemas kept per client (by id) and per codec (resolved readers)
 * @param requestTimeout connect plus response timeout of one request
 * @param retries extra attempts after an unreachable registry or a 5xx/408/429 answer
 * @param retryBackoff delay before the first retry, doubled for each further one
 */
public record RegistrySettings(
        List<String> urls,
        String basicAuthUserInfo,
        String bearerToken,
        String trustStore,
        String trustStorePassword,
        String trustStoreType,
        SubjectNameStrategy subjectStrategy,
        boolean autoRegister,
        int cacheSize,
        Duration requestTimeout,
        int retries,
        Duration retryBackoff) implements Serializable {

    public RegistrySettings {
        urls = List.copyOf(Objects.requireNonNull(urls, "urls"));
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("no schema registry URL");
        }
        for (String u : urls) {
            if (!u.startsWith("http://") && !u.startsWith("https://")) {
                throw new IllegalArgumentException("schema registry URL must start with http:// or https://, got '" + u + "'");
            }
        }
        if (basicAuthUserInfo != null && bearerToken != null) {
            throw new IllegalArgumentException("set basic auth or a bearer token for the schema registry, not both");
        }
        if (basicAuthUserInfo != null && !basicAuthUserInfo.contains(":")) {
            throw new IllegalArgumentException("schema registry basic auth must be user:password");
        }
        Objects.requireNonNull(subjectStrategy, "subjectStrategy");
        trustStoreType = trustStoreType == null ? "PKCS12" : trustStoreType;
        if (cacheSize < 1) {
            throw new IllegalArgumentException("schema registry cache size must be >= 1, got " + cacheSize);
        }
        if (retries < 0) {
            throw new IllegalArgumentException("schema registry retries must be >= 0, got " + retries);
        }
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(retryBackoff, "retryBackoff");
    }

    /** Defaults for everything but the URL(s): no auth, topic names, auto-register, 1000 schemas, 10 s, 3 retries from 500 ms. */
    public static RegistrySettings of(String... urls) {
        return new RegistrySettings(List.of(urls), null, null, null, null, null, SubjectNameStrategy.TOPIC_NAME, true,
                1000, Duration.ofSeconds(10), 3, Duration.ofMillis(500));
    }

    /**
     * The settings of {@code conf}'s {@code siglip.schema-registry.*} options, or null when no URL is
     * set.
     *
     * @throws IllegalArgumentException when a URL is set but the wire format is not confluent
     */
    public static RegistrySettings fromConfiguration(Configuration conf) {
        List<String> urls = conf.get(JobOptions.SCHEMA_REGISTRY_URL);
        if (urls == null || urls.isEmpty()) {
            return null;
        }
        if (conf.get(JobOptions.WIRE_FORMAT) != WireFormat.CONFLUENT) {
            throw new IllegalArgumentException(JobOptions.SCHEMA_REGISTRY_URL.key() + " needs "
                    + JobOptions.WIRE_FORMAT.key() + " confluent (--wire-format confluent), got " + conf.get(JobOptions.WIRE_FORMAT));
        }
        return new RegistrySettings(urls, conf.get(JobOptions.SCHEMA_REGISTRY_BASIC_AUTH),
                conf.get(JobOptions.SCHEMA_REGISTRY_BEARER_TOKEN), conf.get(JobOptions.SCHEMA_REGISTRY_TRUSTSTORE),
                conf.get(JobOptions.SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD), conf.get(JobOptions.SCHEMA_REGISTRY_TRUSTSTORE_TYPE),
                conf.get(JobOptions.SCHEMA_REGISTRY_SUBJECT_STRATEGY), conf.get(JobOptions.SCHEMA_REGISTRY_AUTO_REGISTER),
                conf.get(JobOptions.SCHEMA_REGISTRY_CACHE_SIZE), conf.get(JobOptions.SCHEMA_REGISTRY_TIMEOUT),
                conf.get(JobOptions.SCHEMA_REGISTRY_RETRIES), conf.get(JobOptions.SCHEMA_REGISTRY_RETRY_BACKOFF));
    }

    public RegistrySettings withAutoRegister(boolean on) {
        return new RegistrySettings(urls, basicAuthUserInfo, bearerToken, trustStore, trustStorePassword, trustStoreType,
                subjectStrategy, on, cacheSize, requestTimeout, retries, retryBackoff);
    }

    public RegistrySettings withSubjectStrategy(SubjectNameStrategy strategy) {
        return new RegistrySettings(urls, basicAuthUserInfo, bearerToken, trustStore, trustStorePassword, trustStoreType,
                strategy, autoRegister, cacheSize, requestTimeout, retries, retryBackoff);
    }

    public RegistrySettings withAuth(String basicUserInfo, String bearer) {
        return new RegistrySettings(urls, basicUserInfo, bearer, trustStore, trustStorePassword, trustStoreType,
                subjectStrategy, autoRegister, cacheSize, requestTimeout, retries, retryBackoff);
    }

    public RegistrySettings withTrustStore(String path, String password, String type) {
        return new RegistrySettings(urls, basicAuthUserInfo, bearerToken, path, password, type,
                subjectStrategy, autoRegister, cacheSize, requestTimeout, retries, retryBackoff);
    }

    public RegistrySettings withRetries(int count, Duration backoff, Duration timeout) {
        return new RegistrySettings(urls, basicAuthUserInfo, bearerToken, trustStore, trustStorePassword, trustStoreType,
                subjectStrategy, autoRegister, cacheSize, timeout, count, backoff);
    }

    public RegistrySettings withCacheSize(int size) {
        return new RegistrySettings(urls, basicAuthUserInfo, bearerToken, trustStore, trustStorePassword, trustStoreType,
                subjectStrategy, autoRegister, size, requestTimeout, retries, retryBackoff);
    }

    /** Without secrets: they must not reach logs or Flink's web UI. */
    @Override
    public String toString() {
        return "RegistrySettings[urls=" + urls + ", auth=" + (basicAuthUserInfo != null ? "basic"
                : bearerToken != null ? "bearer" : "none") + ", trustStore=" + trustStore + ", subjectStrategy="
                + subjectStrategy + ", autoRegister=" + autoRegister + ", cacheSize=" + cacheSize + ", requestTimeout="
                + requestTimeout + ", retries=" + retries + ", retryBackoff=" + retryBackoff + "]";
    }
}
