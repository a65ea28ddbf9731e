package dev.siglipstream.stream.job;

import dev.siglipstream.stream.options.JobOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Checks, before the job is submitted, that the bootstrap servers answer and that the input topics
 * exist, with the Kafka admin client and a bounded wait: a wrong address or a missing topic is one
 * clear error naming them, not a task that fails and restarts over and over.
 *
 * <pre>{@code
 * KafkaStartupCheck.run("127.0.0.1:1", List.of("images"), kafkaProperties, Duration.ofSeconds(30), Duration.ZERO);
 * // IllegalStateException: cannot reach Kafka at 127.0.0.1:1 within 30s: ...
 * }</pre>
 */
final class KafkaStartupCheck {
    private static final Duration POLL = Duration.ofMillis(500);

    private KafkaStartupCheck() {}

    /**
     * @param topics the input topics that must exist (empty with an input pattern: only the cluster is checked)
     * @param properties the job's Kafka client properties (TLS, SASL, ...)
     * @param timeout how long the cluster may take to answer; zero skips the whole check
     * @param waitForTopics how long to wait for missing topics to appear; zero fails at once
     * @throws IllegalStateException naming the address or the missing topics
     */
    static void run(String bootstrap, List<String> topics, Properties properties, Duration timeout, Duration waitForTopics) {
        if (timeout.isZero()) {
            return;
        }
        Properties p = new Properties();
        for (String key : AdminClientConfig.configNames()) {
            if (properties.containsKey(key)) {
                p.put(key, properties.get(key));
            }
        }
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        int ms = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "siglip-startup-check");
        Admin admin;
        try {
            admin = Admin.create(p);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot connect to Kafka at " + bootstrap + ": " + rootMessage(e) + hint(), e);
        }
        try {
            try {
                int brokers = get(admin.describeCluster(new DescribeClusterOptions().timeoutMs(ms)).nodes(), timeout).size();
                if (brokers == 0) {
                    throw new IllegalStateException("Kafka at " + bootstrap + " answered with no brokers" + hint());
                }
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("cannot reach Kafka at " + bootstrap + " within " + human(timeout) + ": "
                        + rootMessage(e) + hint(), e);
            }
            awaitTopics(admin, bootstrap, topics, timeout, waitForTopics);
        } finally {
            admin.close(Duration.ofSeconds(1));
        }
    }

    private static void awaitTopics(Admin admin, String bootstrap, List<String> topics, Duration timeout, Duration wait) {
        if (topics.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            List<String> missing = new ArrayList<>();
            Map<String, KafkaFuture<TopicDescription>> described = admin.describeTopics(topics,
                    new DescribeTopicsOptions().timeoutMs((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))).topicNameValues();
            for (String topic : topics) {
                try {
                    get(described.get(topic), timeout);
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                        missing.add(topic);
                    } else {
                        throw new IllegalStateException("cannot describe input topic '" + topic + "' on " + bootstrap + ": "
                                + rootMessage(e), e);
                    }
                } catch (TimeoutException e) {
                    throw new IllegalStateException("Kafka at " + bootstrap + " did not describe input topic '" + topic
                            + "' within " + human(timeout), e);
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("input topic" + (missing.size() == 1 ? " " : "s ") + String.join(", ", missing)
                        + (missing.size() == 1 ? " does" : " do") + " not exist on " + bootstrap
                        + (wait.isZero() ? "" : " (waited " + human(wait) + ")") + ": create "
                        + (missing.size() == 1 ? "it" : "them") + ", or let the job wait for them with --wait-for-topics ("
                        + JobOptions.WAIT_FOR_TOPICS.key() + ")");
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for input topics " + missing, e);
            }
        }
    }

    private static <T> T get(KafkaFuture<T> f, Duration timeout) throws ExecutionException, TimeoutException {
        try {
            // A little longer than the request's own timeout, so that one reports first when it can.
            return f.get(timeout.toMillis() + 2000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking Kafka", e);
        }
    }

    private static String hint() {
        return " (check --bootstrap / " + JobOptions.BOOTSTRAP_SERVERS.key() + " and, for TLS or SASL, "
                + JobOptions.KAFKA_PROPERTIES.key() + ".*; " + JobOptions.STARTUP_CHECK_TIMEOUT.key()
                + ": 0 skips this check)";
    }

    private static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    private static String rootMessage(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        return r.getMessage() == null ? r.getClass().getSimpleName() : r.getMessage();
    }
}
