package dev.siglipstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code siglip} command line (also {@code java -jar}).
 *
 * <pre>{@code
 * ./siglip classify --model Xenova/siglip-base-patch16-224 --labels cat,dog photo.jpg
 * }</pre>
 *
 * <p>Every subcommand writes machine-readable output to stdout, errors to stderr, and exits non-zero
 * on failure.
 */
@Command(
        name = "siglip",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "SigLIP image tagging: the library's tools and the streaming job.",
        subcommands = {
            CommandLine.HelpCommand.class,
            TokenizeCommand.class,
            PreprocessCommand.class,
            EmbedCommand.class,
            ClassifyCommand.class,
            BenchCommand.class,
            DownloadCommand.class,
            ProduceCommand.class,
            ConsumeCommand.class,
            ReportCommand.class,
            NpyDiffCommand.class,
            LabelSetCommand.class,
            SynthModelCommand.class,
        })
public final class Main implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code (for tests). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        // The job JAR leaves Flink and the Kafka broker to the cluster ("provided"), so under `java -jar`
        // the commands that need them are described instead of breaking every other command.
        boolean flink = onClassPath("org.apache.flink.streaming.api.environment.StreamExecutionEnvironment");
        boolean broker = onClassPath("kafka.server.KafkaRaftServer");
        addOrExplain(cli, "run", flink, RunCommand::new, "Flink");
        addOrExplain(cli, "tag", flink, TagCommand::new, "Flink");
        addOrExplain(cli, "demo", flink && broker, DemoCommand::new, "Flink and the Kafka broker");
        addOrExplain(cli, "broker", broker, BrokerCommand::new, "the Kafka broker (org.apache.kafka:kafka_2.13)");
        cli.setExecutionExceptionHandler(new ErrorHandler());
        return cli.execute(args);
    }

    private static void addOrExplain(CommandLine cli, String name, boolean available,
            java.util.function.Supplier<Object> command, String needs) {
        if (available) {
            cli.addSubcommand(name, command.get());
            return;
        }
        CommandLine.Model.CommandSpec spec = CommandLine.Model.CommandSpec.wrapWithoutInspection((Runnable) () -> {
            throw new IllegalStateException("'" + name + "' needs " + needs + " on the class path, which the job JAR "
                    + "leaves to the cluster; use ./siglip " + name + " (full local class path) or, for the job, "
                    + "flink run -c dev.siglipstream.stream.job.SiglipStreamJob <job jar>");
        });
        spec.usageMessage().description("(unavailable here: needs " + needs + " on the class path)");
        spec.parser().unmatchedArgumentsAllowed(true);
        cli.addSubcommand(name, spec);
    }

    private static boolean onClassPath(String className) {
        try {
            Class.forName(className, false, Main.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }
}
