package dev.siglipstream.cli;

import dev.siglipstream.siglip.hub.DownloadProgress;
import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * Progress bars on stderr for the long commands (download, synth-model, bench), drawn by the
 * progressbar library: shown when the command runs on a terminal, silent when its output goes to a
 * pipe or a file, unless {@code --progress always|never} or {@code SIGLIP_PROGRESS} says otherwise.
 */
final class Progress {
    /** When to draw. */
    enum Mode {
        AUTO, ALWAYS, NEVER
    }

    /** The {@code --progress} flag of a command. */
    static final class Options {
        @Option(names = "--progress", paramLabel = "WHEN", converter = ModeConverter.class,
                description = "Progress bars on stderr: auto (on a terminal only), always or never "
                        + "(default: $SIGLIP_PROGRESS, else auto).")
        Mode mode;

        Progress progress() {
            return Progress.of(mode);
        }
    }

    private final boolean on;
    private final PrintStream out;

    private Progress(boolean on, PrintStream out) {
        this.on = on;
        this.out = out;
    }

    /** For a mode given on the command line (null: $SIGLIP_PROGRESS, else auto), drawing on System.err. */
    static Progress of(Mode flag) {
        Mode mode = flag != null ? flag : fromEnvironment(System.getenv("SIGLIP_PROGRESS"));
        boolean on = switch (mode) {
            case ALWAYS -> true;
            case NEVER -> false;
            // System.console() is null unless stdin and stdout are a terminal: piped or redirected runs stay silent.
            case AUTO -> System.console() != null;
        };
        return new Progress(on, System.err);
    }

    static Mode fromEnvironment(String value) {
        if (value == null || value.isBlank()) return Mode.AUTO;
        return new ModeConverter().convert(value);
    }

    boolean enabled() {
        return on;
    }

    /** A bar counting bytes, with the transfer rate; a no-op when progress is off. */
    Bar bytes(String task, long totalBytes) {
        if (!on) return Bar.OFF;
        // The library shows whole units: KiB up to 10 MiB, so small files do not read 0/0.
        boolean small = totalBytes >= 0 && totalBytes < 10L << 20;
        ProgressBarBuilder b = builder(task).setUnit(small ? " KiB" : " MiB", small ? 1 << 10 : 1 << 20)
                .showSpeed(new java.text.DecimalFormat("0.0"));
        b.setInitialMax(totalBytes > 0 ? totalBytes : -1);
        return new Bar(b.build());
    }

    /** A bar counting the steps of a task (files written, benchmark phases); a no-op when progress is off. */
    Bar steps(String task, int steps) {
        if (!on) return Bar.OFF;
        return new Bar(builder(task).setInitialMax(steps).hideEta().build());
    }

    /** Download progress for a {@link dev.siglipstream.siglip.hub.HubClient}: one bar per file. */
    DownloadProgress downloads() {
        if (!on) return DownloadProgress.NONE;
        return (repoId, filename, total) -> {
            Bar bar = bytes(filename, total);
            return new DownloadProgress.Transfer() {
                @Override
                public void bytes(long done) {
                    bar.stepTo(done);
                }

                @Override
                public void close() {
                    bar.close();
                }
            };
        };
    }

    private ProgressBarBuilder builder(String task) {
        // Forced on where there is no terminal to ask for its width: a fixed width.
        ConsoleProgressBarConsumer consumer = System.console() != null
                ? new ConsoleProgressBarConsumer(out)
                : new ConsoleProgressBarConsumer(out, 100);
        return new ProgressBarBuilder().setTaskName(task).setStyle(ProgressBarStyle.ASCII).setConsumer(consumer)
                .setUpdateIntervalMillis(250).continuousUpdate();
    }

    /** One bar; {@link #OFF} does nothing. */
    static final class Bar implements AutoCloseable {
        static final Bar OFF = new Bar(null);
        private final ProgressBar bar;

        private Bar(ProgressBar bar) {
            this.bar = bar;
        }

        void stepTo(long n) {
            if (bar != null) bar.stepTo(n);
        }

        /** Advances one step and says what runs now. */
        void step(String now) {
            if (bar != null) {
                bar.setExtraMessage(now);
                bar.step();
            }
        }

        void message(String now) {
            if (bar != null) bar.setExtraMessage(now);
        }

        @Override
        public void close() {
            if (bar != null) bar.close();
        }
    }

    static final class ModeConverter implements CommandLine.ITypeConverter<Mode> {
        @Override
        public Mode convert(String value) {
            try {
                return Mode.valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("expected auto, always or never, got '" + value + "'");
            }
        }
    }
}
