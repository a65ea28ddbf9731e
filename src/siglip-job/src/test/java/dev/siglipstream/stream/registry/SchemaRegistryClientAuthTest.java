package dev.siglipstream.stream.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.siglipstream.events.ImageEvent;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the client sends and how it reads answers, against a small HTTP server that answers as the
 * Confluent API documents ({@code GET /schemas/ids/{id}} → {@code {"schema": "..."}}; errors as
 * {@code {"error_code": 40101, "message": "..."}}): auth headers, HTTPS with a trust store, and the
 * retry rule (5xx retried, 4xx not). The real registry's answers are checked in {@link
 * SchemaRegistryClientITCase}.
 */
class SchemaRegistryClientAuthTest {
    private static final String SCHEMA_ANSWER = "{\"schema\": " + quote(ImageEvent.getClassSchema().toString()) + "}";

    @TempDir Path dir;
    private HttpServer server;
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final List<String> paths = new CopyOnWriteArrayList<>();
    private volatile int failFirst;

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private void handle(HttpExchange x) throws IOException {
        authorizations.add(String.valueOf(x.getRequestHeaders().getFirst("Authorization")));
        paths.add(x.getRequestMethod() + " " + x.getRequestURI().getRawPath());
        String auth = x.getRequestHeaders().getFirst("Authorization");
        int status;
        String body;
        if (failFirst > 0) {
            failFirst--;
            status = 503;
            body = "{\"error_code\": 50301, \"message\": \"busy\"}";
        } else if (auth == null || auth.equals("Basic " + java.util.Base64.getEncoder().encodeToString("u:wrong".getBytes()))) {
            status = 401;
            body = "{\"error_code\": 40101, \"message\": \"Unauthorized\"}";
        } else {
            status = 200;
            body = SCHEMA_ANSWER;
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/vnd.schemaregistry.v1+json");
        x.sendResponseHeaders(status, bytes.length);
        x.getResponseBody().write(bytes);
        x.close();
    }

    private String startHttp() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private static RegistrySettings settings(String url) {
        return RegistrySettings.of(url).withRetries(2, Duration.ofMillis(10), Duration.ofSeconds(5));
    }

    @Test
    void basicAuthIsSentAsTheRfc7617Header() throws Exception {
        String url = startHttp();
        new SchemaRegistryClient(settings(url).withAuth("reader:s3cret", null)).schemaById(7);
        assertThat(authorizations).containsExactly("Basic cmVhZGVyOnMzY3JldA=="); // base64("reader:s3cret")
        assertThat(paths).containsExactly("GET /schemas/ids/7");
    }

    @Test
    void aBearerTokenIsSentAsIs() throws Exception {
        String url = startHttp();
        assertThat(new SchemaRegistryClient(settings(url).withAuth(null, "tok.en")).schemaById(7))
                .isEqualTo(ImageEvent.getClassSchema());
        assertThat(authorizations).containsExactly("Bearer tok.en");
    }

    @Test
    void refusedCredentialsAreNotRetriedAndSaySo() throws Exception {
        String url = startHttp();
        assertThatThrownBy(() -> new SchemaRegistryClient(settings(url).withAuth("u:wrong", null)).schemaById(7))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.status()).isEqualTo(401);
                    assertThat(e.errorCode()).isEqualTo(40101);
                })
                .isNotInstanceOf(RegistryUnavailableException.class)
                .hasMessageContaining("check the registry credentials");
        assertThat(paths).hasSize(1);
    }

    @Test
    void serverErrorsAreRetriedUntilAnAnswer() throws Exception {
        String url = startHttp();
        failFirst = 2;
        assertThat(new SchemaRegistryClient(settings(url).withAuth(null, "t")).schemaById(7)).isEqualTo(ImageEvent.getClassSchema());
        assertThat(paths).hasSize(3);

        failFirst = 3;
        assertThatThrownBy(() -> new SchemaRegistryClient(settings(url).withAuth(null, "t")).schemaById(8))
                .isInstanceOf(RegistryUnavailableException.class)
                .hasMessageContaining("HTTP 503 busy");
    }

    @Test
    void secretsStayOutOfToString() {
        assertThat(RegistrySettings.of("http://r").withAuth("user:pw-123", null).toString())
                .doesNotContain("pw-123").contains("auth=basic");
        assertThat(RegistrySettings.of("http://r").withAuth(null, "tok-456").toString()).doesNotContain("tok-456");
    }

    @Test
    void httpsWithATrustStoreOfTheRegistrysCertificate() throws Exception {
        // A self-signed certificate for 127.0.0.1 (made with keytool: src/test/resources/registry/tls/README.md).
        Path keyStore = Path.of(getClass().getResource("/registry/tls/server.p12").toURI());
        Path trustStore = Path.of(getClass().getResource("/registry/tls/trust.p12").toURI());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);
        HttpsServer https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        https.setHttpsConfigurator(new HttpsConfigurator(ssl));
        https.createContext("/", this::handle);
        https.start();
        server = https;
        String url = "https://127.0.0.1:" + https.getAddress().getPort();

        RegistrySettings trusted = settings(url).withAuth(null, "t").withTrustStore(trustStore.toString(), "trustpw", "PKCS12");
        assertThat(new SchemaRegistryClient(trusted).schemaById(7)).isEqualTo(ImageEvent.getClassSchema());
        // The JVM's CAs do not know the self-signed certificate: the handshake fails on every attempt.
        assertThatThrownBy(() -> new SchemaRegistryClient(settings(url).withAuth(null, "t")).schemaById(7))
                .isInstanceOf(RegistryUnavailableException.class)
                .hasMessageContaining("SSLHandshakeException");
        assertThatThrownBy(() -> new SchemaRegistryClient(settings(url).withTrustStore(dir.resolve("none.p12").toString(), "x", null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot load the schema registry trust store");
    }
}
