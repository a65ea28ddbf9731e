package dev.siglipstream.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.siglipstream.stream.serde.WireFormat;
import picocli.CommandLine;

/** Option converters shared by the Kafka tools: durations like {@code 10s}, wire formats in lower case. */
final class CliConverters {
    private CliConverters() {}

    /** {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, a bare number of seconds, or ISO-8601 ({@code PT10S}). */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        private static final Pattern SIMPLE = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");

        @Override
        public Duration convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            Matcher m = SIMPLE.matcher(v);
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                String unit = m.group(2) == null ? "s" : m.group(2);
                return switch (unit) {
                    case "ms" -> Duration.ofMillis(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofSeconds(n);
                };
            }
            try {
                return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
            } catch (RuntimeException e) {
                throw new CommandLine.TypeConversionException("expected a duration like 500ms, 10s, 2m or PT10S, got '" + value + "'");
            }
        }
    }

    /** {@code plain} or {@code confluent}, any case. */
    static final class WireFormatConverter implements CommandLine.ITypeConverter<WireFormat> {
        @Override
        public WireFormat convert(String value) {
            try {
                return WireFormat.valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("expected plain or confluent, got '" + value + "'");
            }
        }
    }
}
