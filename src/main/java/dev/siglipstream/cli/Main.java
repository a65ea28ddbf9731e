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
            BrokerCommand.class,
            ProduceCommand.class,
            ConsumeCommand.class,
            NpyDiffCommand.class,
            RunCommand.class,
            DemoCommand.class,
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
        cli.setExecutionExceptionHandler(new ErrorHandler());
        return cli.execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }
}
