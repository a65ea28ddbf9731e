package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class RunCommandTest {
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        // Main.execute adds run/demo only where Flink is on the class path; here it always is.
        CommandLine cli = new CommandLine(new Main()).addSubcommand("run", new RunCommand());
        cli.setExecutionExceptionHandler(new ErrorHandler());
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void unknownFlagsAreUsageErrors() {
        assertThat(run("run", "--bootstrap", "k:9092", "--input-topics", "x")).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown options: '--input-topics'").contains("Possible solutions: --input-topic");
    }

    @Test
    void missingSettingsAreNamed() {
        assertThat(run("run", "--input-topic", "x", "--model", "m")).isEqualTo(1);
        assertThat(err.toString()).contains("no Kafka bootstrap servers: set --bootstrap or siglip.kafka.bootstrap-servers");
        assertThat(run("run", "--bootstrap", "k:9092", "--input-topic", "x", "--input-pattern", "y.*", "--model", "m"))
                .isEqualTo(1);
        assertThat(err.toString()).contains("set exactly one of --input-topic");
    }

    @Test
    void anUnreachableBootstrapFailsFastNamingTheAddress() {
        String model = dev.siglipstream.testutils.TestData.conformance("models/siglip-tiny").toString();
        long t0 = System.nanoTime();
        int exit = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60),
                () -> run("run", "--bootstrap", "127.0.0.1:1", "--input-topic", "images", "--model", model,
                        "-D", "siglip.kafka.startup-check-timeout=2s"),
                "./siglip run kept going against an unreachable bootstrap");
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("cannot reach Kafka at 127.0.0.1:1 within 2s");
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - t0)).isLessThan(java.time.Duration.ofSeconds(15));
    }
}
