package dev.siglipstream.stream.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * A client of the Confluent Schema Registry REST API, which Confluent's registry, Apicurio
 * Registry ({@code /apis/ccompat/v7}), Karapace and Redpanda all serve: Avro schemas by id
 * (cached, at most {@link RegistrySettings#cacheSize()}), registration and lookup under subjects,
 * basic or bearer auth, HTTPS with a trust store, and retries with a doubling backoff.
 *
 * <pre>{@code
 * SchemaRegistryClient registry = SchemaRegistryClient.shared(RegistrySettings.of("http://registry:8081"));
 * int id = registry.register("images-value", ImageEvent.getClassSchema());
 * Schema writer = registry.schemaById(id);
 * }</pre>
 *
 * <p>Thread-safe. Errors: {@link RegistryUnavailableException} when no attempt got an answer (or
 * only 5xx/408/429), {@link SchemaRegistryException} for any other error answer, with the
 * registry's status and {@code error_code}.
 */
public final class SchemaRegistryClient {
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final String ACCEPT = "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<RegistrySettings, SchemaRegistryClient> SHARED = new ConcurrentHashMap<>();

    private final RegistrySettings settings;
    private final HttpClient http;
    private final String authorization;
    private final BoundedCache<Integer, Schema> byId;
    private final BoundedCache<String, Integer> bySubject;
    private volatile int preferredUrl;

    public SchemaRegistryClient(RegistrySettings settings) {
        this.settings = settings;
        HttpClient.Builder b = HttpClient.newBuilder()
                .connectTimeout(settings.requestTimeout())
                .followRedirects(HttpClient.Redirect.NORMAL);
        if (settings.trustStore() != null) {
            b.sslContext(sslContext(settings));
        }
        this.http = b.build();
        if (settings.basicAuthUserInfo() != null) {
            authorization = "Basic " + Base64.getEncoder().encodeToString(settings.basicAuthUserInfo().getBytes(StandardCharsets.UTF_8));
        } else if (settings.bearerToken() != null) {
            authorization = "Bearer " + settings.bearerToken();
        } else {
            authorization = null;
        }
        this.byId = new BoundedCache<>(settings.cacheSize());
        this.bySubject = new BoundedCache<>(settings.cacheSize());
    }

    /** One client (and cache) per JVM for equal settings, so every operator of a task manager shares it. */
    public static SchemaRegistryClient shared(RegistrySettings settings) {
        return SHARED.computeIfAbsent(settings, SchemaRegistryClient::new);
    }

    public RegistrySettings settings() {
        return settings;
    }

    /**
     * The Avro schema registered with {@code id} (cached).
     *
     * @throws SchemaRegistryException {@linkplain SchemaRegistryException#notFound() not found} for
     *     an unknown id; also when the schema is not Avro
     */
    public Schema schemaById(int id) {
        Schema cached = byId.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode body = send("GET", "/schemas/ids/" + id, null);
        String type = body.path("schemaType").asText("AVRO");
        if (!"AVRO".equals(type)) {
            throw new SchemaRegistryException("schema id " + id + " is a " + type + " schema, not Avro", 200, -1);
        }
        Schema schema = parse(body.path("schema").asText(), "schema id " + id);
        byId.put(id, schema);
        return schema;
    }

    /**
     * Registers {@code schema} under {@code subject} (a no-op returning the existing id when it is
     * already there) and returns its id.
     *
     * @throws SchemaRegistryException 409 when the subject's compatibility rule refuses it, 422 when invalid
     */
    public int register(String subject, Schema schema) {
        return idFor(subject, schema, true);
    }

    /**
     * The id of {@code schema} under {@code subject}, without registering it.
     *
     * @throws SchemaRegistryException {@linkplain SchemaRegistryException#notFound() not found}
     *     when the subject or the schema under it is unknown
     */
    public int lookup(String subject, Schema schema) {
        return idFor(subject, schema, false);
    }

    /** {@link #register} when {@code autoRegister}, {@link #lookup} otherwise; cached per subject and schema. */
    public int idFor(String subject, Schema schema, boolean autoRegister) {
        String key = subject + '\n' + schema;
        Integer cached = bySubject.get(key);
        if (cached != null) {
            return cached;
        }
        ObjectNode request = JSON.createObjectNode().put("schema", schema.toString());
        JsonNode body;
        if (autoRegister) {
            try {
                body = send("POST", "/subjects/" + encode(subject) + "/versions", request);
            } catch (SchemaRegistryException e) {
                if (e.status() != 409) {
                    throw e;
                }
                // 409 is "incompatible" in Confluent's registry, but Apicurio also answers 409 ("already
                // exists") to a registration that raced another one of the same subject (parallel tasks).
                // A lookup tells them apart: found, it was the race.
                try {
                    body = send("POST", "/subjects/" + encode(subject), request);
                } catch (SchemaRegistryException notThere) {
                    throw e;
                }
            }
        } else {
            body = send("POST", "/subjects/" + encode(subject), request);
        }
        JsonNode id = body.get("id");
        if (id == null || !id.canConvertToInt()) {
            throw new SchemaRegistryException("the schema registry's answer for subject " + subject + " has no id: " + body, 200, -1);
        }
        bySubject.put(key, id.intValue());
        byId.put(id.intValue(), schema);
        return id.intValue();
    }

    /** The versions registered under {@code subject}, oldest first. */
    public List<Integer> versions(String subject) {
        JsonNode body = send("GET", "/subjects/" + encode(subject) + "/versions", null);
        List<Integer> out = new ArrayList<>();
        body.forEach(v -> out.add(v.intValue()));
        return out;
    }

    /** Sets {@code subject}'s compatibility level (BACKWARD, FORWARD, FULL, NONE, ..._TRANSITIVE). */
    public void setCompatibility(String subject, String level) {
        send("PUT", "/config/" + encode(subject), JSON.createObjectNode().put("compatibility", level));
    }

    private JsonNode send(String method, String path, JsonNode body) {
        int attempts = settings.retries() + 1;
        long backoff = settings.retryBackoff().toMillis();
        String last = null;
        Exception lastCause = null;
        long start = System.nanoTime();
        for (int attempt = 0; attempt < attempts; attempt++) {
            if (attempt > 0) {
                sleep(backoff);
                backoff = Math.min(backoff * 2, 30_000);
            }
            int urlIndex = (preferredUrl + attempt) % settings.urls().size();
            String base = settings.urls().get(urlIndex);
            HttpResponse<InputStream> response;
            try {
                response = http.send(request(base, method, path, body), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                last = base + ": " + e;
                lastCause = e;
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryUnavailableException("interrupted while calling the schema registry: " + method + " " + path, e);
            }
            int status = response.statusCode();
            JsonNode answer;
            try (InputStream in = response.body()) {
                byte[] bytes = in.readAllBytes();
                answer = bytes.length == 0 ? JSON.nullNode() : readJson(bytes);
            } catch (IOException e) {
                last = base + ": reading the answer: " + e;
                lastCause = e;
                continue;
            }
            if (status >= 200 && status < 300) {
                preferredUrl = urlIndex;
                return answer;
            }
            String message = answer.path("message").asText(answer.toString());
            int errorCode = answer.path("error_code").asInt(-1);
            if (status >= 500 || status == 408 || status == 429) {
                last = base + ": HTTP " + status + " " + message;
                lastCause = null;
                continue;
            }
            throw new SchemaRegistryException("schema registry " + base + " refused " + method + " " + path + ": HTTP "
                    + status + (errorCode >= 0 ? " (error " + errorCode + ")" : "") + ": " + message
                    + (status == 401 || status == 403 ? " (check the registry credentials)" : ""), status, errorCode);
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        throw new RegistryUnavailableException("schema registry unavailable: " + method + " " + path + " failed "
                + attempts + " time(s) over " + ms + " ms; last: " + last, lastCause);
    }

    private HttpRequest request(String base, String method, String path, JsonNode body) {
        String trimmed = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(trimmed + path))
                .timeout(settings.requestTimeout())
                .header("Accept", ACCEPT);
        if (authorization != null) {
            r.header("Authorization", authorization);
        }
        if (body == null) {
            r.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            r.header("Content-Type", CONTENT_TYPE);
            r.method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        }
        return r.build();
    }

    private static JsonNode readJson(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            // An HTML error page from a proxy, say: keep its start for the message.
            return JSON.createObjectNode().put("message", new String(bytes, 0, Math.min(bytes.length, 200), StandardCharsets.UTF_8));
        }
    }

    private static Schema parse(String json, String what) {
        try {
            return new Schema.Parser().parse(json);
        } catch (SchemaParseException e) {
            throw new SchemaRegistryException(what + " is not a valid Avro schema: " + e.getMessage(), 200, -1);
        }
    }

    static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryUnavailableException("interrupted while waiting to retry the schema registry", e);
        }
    }

    private static SSLContext sslContext(RegistrySettings settings) {
        try (InputStream in = Files.newInputStream(Path.of(settings.trustStore()))) {
            KeyStore store = KeyStore.getInstance(settings.trustStoreType());
            char[] password = settings.trustStorePassword() == null ? null : settings.trustStorePassword().toCharArray();
            store.load(in, password);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            return ssl;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot load the schema registry trust store " + settings.trustStore() + ": " + e.getMessage(), e);
        }
    }
}
