package dev.siglipstream.stream.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.testutils.ApicurioRegistry;
import dev.siglipstream.testutils.PausableProxy;
import dev.siglipstream.testutils.RegistryRecords;
import java.time.Duration;
import java.util.UUID;
import org.apache.avro.Schema;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The registry client against a real Apicurio Registry, through its Confluent-compatible API. */
class SchemaRegistryClientITCase {
    private static ApicurioRegistry registry;

    @BeforeAll
    static void start() {
        registry = ApicurioRegistry.shared();
    }

    private static String subject(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8) + "-value";
    }

    private static RegistrySettings settings(String url) {
        return RegistrySettings.of(url).withRetries(2, Duration.ofMillis(50), Duration.ofSeconds(5));
    }

    @Test
    void registersLooksUpAndFetchesByIdWithTheSameAnswersEachTime() {
        SchemaRegistryClient client = new SchemaRegistryClient(settings(registry.url()));
        String subject = subject("images");
        Schema schema = ImageEvent.getClassSchema();

        int id = client.register(subject, schema);
        assertThat(client.register(subject, schema)).as("registering again is a no-op").isEqualTo(id);
        assertThat(new SchemaRegistryClient(settings(registry.url())).lookup(subject, schema)).isEqualTo(id);
        assertThat(new SchemaRegistryClient(settings(registry.url())).schemaById(id)).isEqualTo(schema);
        assertThat(client.versions(subject)).containsExactly(1);
    }

    @Test
    void parallelFirstRegistrationsOfOneSubjectAllGetTheSameId() throws Exception {
        String subject = subject("race");
        int tasks = 4;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(tasks);
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            java.util.List<java.util.concurrent.Future<Integer>> ids = new java.util.ArrayList<>();
            for (int i = 0; i < tasks; i++) {
                ids.add(pool.submit(() -> {
                    go.await();
                    return new SchemaRegistryClient(settings(registry.url())).register(subject, ImageEvent.getClassSchema());
                }));
            }
            go.countDown();
            java.util.Set<Integer> distinct = new java.util.HashSet<>();
            for (java.util.concurrent.Future<Integer> f : ids) {
                distinct.add(f.get());
            }
            assertThat(distinct).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anEvolvedSchemaIsANewVersionWithANewId() {
        SchemaRegistryClient client = new SchemaRegistryClient(settings(registry.url()));
        String subject = subject("evolved");
        client.setCompatibility(subject, "BACKWARD");
        int v1 = client.register(subject, ImageEvent.getClassSchema());
        int v2 = client.register(subject, RegistryRecords.schema("ImageEvent-newer"));

        assertThat(v2).isNotEqualTo(v1);
        assertThat(client.versions(subject)).containsExactly(1, 2);
        assertThat(new SchemaRegistryClient(settings(registry.url())).schemaById(v2).getField("camera")).isNotNull();
    }

    @Test
    void unknownIdsSubjectsAndSchemasAreNotFoundWithTheRegistrysErrorCode() {
        SchemaRegistryClient client = new SchemaRegistryClient(settings(registry.url()));
        assertThatThrownBy(() -> client.schemaById(987_654))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.notFound()).isTrue();
                    assertThat(e.errorCode()).isEqualTo(40403);
                })
                .isNotInstanceOf(RegistryUnavailableException.class)
                .hasMessageContaining("GET /schemas/ids/987654").hasMessageContaining("HTTP 404");
        assertThatThrownBy(() -> client.lookup(subject("never"), ImageEvent.getClassSchema()))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.notFound()).isTrue();
                    assertThat(e.errorCode()).isEqualTo(40401);
                });
    }

    @Test
    void anIncompatibleSchemaIsRefusedUnderABackwardSubject() {
        SchemaRegistryClient client = new SchemaRegistryClient(settings(registry.url()));
        String subject = subject("strict");
        client.setCompatibility(subject, "BACKWARD");
        client.register(subject, ImageEvent.getClassSchema());

        assertThatThrownBy(() -> client.register(subject, RegistryRecords.schema("ImageEvent-incompatible")))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.status()).isEqualTo(409))
                .hasMessageContaining("HTTP 409");
        assertThat(client.versions(subject)).containsExactly(1);
    }

    @Test
    void schemasByIdAreCachedUpToTheCacheSize() {
        int a = new SchemaRegistryClient(settings(registry.url())).register(subject("cache-a"), ImageEvent.getClassSchema());
        int b = new SchemaRegistryClient(settings(registry.url())).register(subject("cache-b"), LabelScoreEvent.getClassSchema());
        try (PausableProxy proxy = new PausableProxy(registry.port())) {
            String url = "http://127.0.0.1:" + proxy.port() + "/apis/ccompat/v7";
            SchemaRegistryClient one = new SchemaRegistryClient(settings(url).withCacheSize(1));
            one.schemaById(a);
            proxy.pause();
            assertThat(one.schemaById(a)).as("cached: no request").isEqualTo(ImageEvent.getClassSchema());
            proxy.resume();
            one.schemaById(b); // evicts a
            proxy.pause();
            assertThatThrownBy(() -> one.schemaById(a)).isInstanceOf(RegistryUnavailableException.class);
        }
    }

    @Test
    void anUnreachableRegistryIsUnavailableAfterTheRetriesWithTheLastError() {
        try (PausableProxy proxy = new PausableProxy(registry.port())) {
            proxy.pause();
            SchemaRegistryClient client = new SchemaRegistryClient(settings("http://127.0.0.1:" + proxy.port()));
            long start = System.nanoTime();
            assertThatThrownBy(() -> client.schemaById(1))
                    .isInstanceOf(RegistryUnavailableException.class)
                    .hasMessageContaining("GET /schemas/ids/1 failed 3 time(s)");
            // backoff 50 ms, then 100 ms
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(150));
            // 3 attempts; the JDK's HttpClient itself retries an idempotent GET once on a reset connection
            assertThat(proxy.refused()).isIn(3, 6);
        }
    }

    @Test
    void theNextUrlIsTriedWhenOneIsDown() {
        try (PausableProxy down = new PausableProxy(registry.port())) {
            down.pause();
            SchemaRegistryClient client = new SchemaRegistryClient(
                    new RegistrySettings(java.util.List.of("http://127.0.0.1:" + down.port() + "/apis/ccompat/v7", registry.url()),
                            null, null, null, null, null, SubjectNameStrategy.TOPIC_NAME, true, 10, Duration.ofSeconds(5), 1,
                            Duration.ofMillis(10)));
            String subject = subject("failover");
            int id = client.register(subject, ImageEvent.getClassSchema());
            assertThat(client.lookup(subject, ImageEvent.getClassSchema())).isEqualTo(id);
            assertThat(down.refused()).isEqualTo(1);
        }
    }
}
