package dev.siglipstream.stream.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, broker and controller in one process) running inside this JVM.
 *
 * <p>For tests, the local demo and {@code siglip broker}; production uses the user's cluster. The
 * caller that {@link #start starts} it owns it and must {@link #close} it. Everything is sized for
 * one node: every replication factor and min ISR is 1 (offsets, transaction state, share
 * coordinator), and {@code transaction.max.timeout.ms} is one hour so Flink's exactly-once sink may
 * use long transaction timeouts.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(null, 0)) {
 *     broker.createTopic("images", 2);
 *     String bootstrap = broker.bootstrapServers(); // 127.0.0.1:<port>
 * }
 * }</pre>
 *
 * <p>Needs {@code org.apache.kafka:kafka_2.13} on the class path (scope {@code provided}: present in
 * tests and the launcher, absent from the job JAR).
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final String HOST = "127.0.0.1";
    private static final int NODE_ID = 1;
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final int BIND_ATTEMPTS = 3;
    /** The largest record batch the broker accepts (16 MiB), so inline photos fit. */
    public static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final Path dataDir;
    private final boolean deleteDirOnClose;
    private Admin admin;
    private boolean closed;

    private EmbeddedKafkaBroker(KafkaRaftServer server, String bootstrapServers, Path dataDir, boolean deleteDirOnClose) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.dataDir = dataDir;
        this.deleteDirOnClose = deleteDirOnClose;
    }

    /**
     * Formats (first time only) and starts a broker, returning once it accepts clients.
     *
     * @param dataDir the log directory, kept on close so a restart sees the same topics; {@code null}
     *     for a temporary directory that is deleted on close
     * @param port the client port on 127.0.0.1; 0 picks a free one
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0 (any free port) or 1-65535, got " + port);
        }
        boolean temporary = dataDir == null;
        Path dir;
        try {
            dir = temporary ? Files.createTempDirectory("siglip-kafka-") : Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the broker's data directory " + dataDir, e);
        }
        // Free ports are found by binding and releasing; another process could grab one in between,
        // so a bind failure is retried with new ports when the caller let us choose.
        RuntimeException last = null;
        for (int attempt = 1; attempt <= (port == 0 ? BIND_ATTEMPTS : 1); attempt++) {
            int clientPort = port == 0 ? freePort() : port;
            int controllerPort = freePort();
            try {
                return startOnce(dir, temporary, clientPort, controllerPort);
            } catch (RuntimeException e) {
                last = e;
                LOG.warn("Kafka broker start attempt {} on ports {}/{} failed: {}", attempt, clientPort, controllerPort, e.toString());
                if (!causedByBind(e)) {
                    break;
                }
            }
        }
        if (temporary) {
            deleteRecursively(dir);
        }
        throw new IllegalStateException("cannot start the in-process Kafka broker in " + dir + " on port " + port + ": " + rootMessage(last), last);
    }

    private static EmbeddedKafkaBroker startOnce(Path dir, boolean temporary, int clientPort, int controllerPort) {
        long t0 = System.nanoTime();
        String bootstrap = HOST + ":" + clientPort;
        Properties p = brokerProperties(dir, clientPort, controllerPort);
        // A given --dir is reused across restarts: formatting again would pick a new cluster id.
        if (!Files.exists(dir.resolve("meta.properties"))) {
            format(dir);
        }
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(p), Time.SYSTEM);
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, bootstrap, dir, temporary);
        try {
            server.startup();
            broker.awaitReady();
        } catch (RuntimeException e) {
            // The directory stays: a retry on other ports reuses it, and start() removes a temporary one.
            broker.stopServer();
            throw e;
        }
        LOG.info("Kafka broker ready at {} (data {}) in {} ms", bootstrap, dir, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        return broker;
    }

    private static void format(Path dir) {
        try {
            new Formatter()
                    // The formatter reports on stdout, which `siglip broker` keeps machine-readable.
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setDirectories(List.of(dir.toString()))
                    .setMetadataLogDirectory(Optional.of(dir.toString()))
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format the KRaft log directory " + dir, e);
        }
    }

    private static Properties brokerProperties(Path dir, int clientPort, int controllerPort) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + clientPort + "," + CONTROLLER_LISTENER + "://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + clientPort);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", dir.toString());
        p.put("metadata.log.dir", dir.toString());
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        // Few internal partitions: creating 50 of each on first use costs seconds on a small machine.
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("share.coordinator.state.topic.num.partitions", "1");
        // Flink's exactly-once sink asks for transaction timeouts beyond the 15-minute default cap.
        p.put("transaction.max.timeout.ms", "3600000");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "true");
        p.put("num.partitions", "1");
        // Whole photos travel inline in ImageEvents; the 1 MiB default is smaller than many of them.
        p.put("message.max.bytes", Integer.toString(MAX_MESSAGE_BYTES));
        // Compaction becomes observable within seconds in tests and the demo.
        p.put("log.cleaner.backoff.ms", "1000");
        // The cleaner's offset map is a heap buffer of this size, 128 MiB by default: the few compacted
        // topics of one test or demo need a fraction of it, and it would sit in the heap of the job beside it.
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(8 * 1024 * 1024));
        return p;
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (!admin().describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                    return;
                }
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the Kafka broker at " + bootstrapServers, e);
            }
            sleep(100);
        }
        throw new IllegalStateException("Kafka broker at " + bootstrapServers + " not ready after " + READY_TIMEOUT, last);
    }

    /** The {@code bootstrap.servers} value for clients, {@code 127.0.0.1:<port>}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The broker's log directory. */
    public Path dataDir() {
        return dataDir;
    }

    /** Creates a topic with replication factor 1; an existing topic of that name is left as it is. */
    public void createTopic(String name, int partitions) {
        createTopic(name, partitions, Map.of());
    }

    /**
     * Creates a topic with replication factor 1 and the given topic configs (e.g. {@code
     * cleanup.policy=compact}); an existing topic of that name is left as it is.
     */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        Objects.requireNonNull(name, "name");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, got " + partitions + " for topic " + name);
        }
        NewTopic topic = new NewTopic(name, partitions, (short) 1).configs(Map.copyOf(configs));
        try {
            admin().createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic " + name + " on " + bootstrapServers, e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + name, e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("timed out creating topic " + name + " on " + bootstrapServers, e);
        }
    }

    private synchronized Admin admin() {
        if (closed) {
            throw new IllegalStateException("the Kafka broker at " + bootstrapServers + " is closed");
        }
        if (admin == null) {
            admin = Admin.create(Map.of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
        }
        return admin;
    }

    /** Stops the broker and waits for it; deletes the data directory when it was a temporary one. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        long t0 = System.nanoTime();
        stopServer();
        if (deleteDirOnClose) {
            deleteRecursively(dataDir);
        }
        LOG.info("Kafka broker at {} stopped in {} ms", bootstrapServers, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    private synchronized void stopServer() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
            admin = null;
        }
        closed = true;
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.warn("Kafka broker at {} did not shut down cleanly", bootstrapServers, e);
        }
    }

    private static boolean causedByBind(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof java.net.BindException) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == t ? String.valueOf(t.getMessage()) : t.getMessage() + " (" + root + ")";
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on " + HOST, e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    LOG.debug("cannot delete {}", path, e);
                }
            });
        } catch (IOException e) {
            LOG.warn("cannot delete the broker's temporary directory {}", dir, e);
        }
    }
}
