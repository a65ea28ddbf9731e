package dev.siglipstream.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import dev.siglipstream.stream.kafka.EmbeddedKafkaBroker;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code siglip broker}: runs a single-node Kafka broker (KRaft) in this process for the local demo.
 *
 * <pre>{@code
 * ./siglip broker --port 9092 --dir /tmp/kafka   # prints bootstrap=127.0.0.1:9092 when ready
 * }</pre>
 */
@Command(
        name = "broker",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a single-node Kafka broker (KRaft) on 127.0.0.1 for the local demo and tests.",
            "Prints bootstrap=127.0.0.1:PORT on stdout when it accepts clients, then runs until stopped (Ctrl-C or SIGTERM)."
        })
final class BrokerCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--port", defaultValue = "9092", paramLabel = "PORT",
            description = "Client port on 127.0.0.1; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "Data directory, kept on exit so a restart sees the same topics and records "
                    + "(default: a temporary directory deleted on exit).")
    Path dir;

    @Override
    public Integer call() throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir, port);
        CountDownLatch closed = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            spec.commandLine().getErr().println("siglip broker: stopping");
            spec.commandLine().getErr().flush();
            broker.close();
            closed.countDown();
        }, "siglip-broker-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        PrintWriter out = spec.commandLine().getOut();
        out.println("bootstrap=" + broker.bootstrapServers());
        out.flush();
        try {
            // Runs until the JVM is asked to stop (the hook closes the broker) or this thread is interrupted.
            closed.await();
        } catch (InterruptedException e) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                closed.await();
                return 0;
            }
            broker.close();
        }
        return 0;
    }
}
