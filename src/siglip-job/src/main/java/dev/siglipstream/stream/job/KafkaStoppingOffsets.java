package dev.siglipstream.stream.job;

import dev.siglipstream.stream.options.JobOptions;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.common.TopicPartition;

/** Parses {@code siglip.kafka.stopping-offsets}: latest, timestamp:T, or topic:partition:offset,... */
final class KafkaStoppingOffsets {
    private KafkaStoppingOffsets() {}

    static OffsetsInitializer parse(String spec) {
        String s = spec.trim();
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.equals("latest")) {
            return OffsetsInitializer.latest();
        }
        if (lower.startsWith("timestamp:")) {
            return OffsetsInitializer.timestamp(timestamp(s.substring("timestamp:".length()).trim()));
        }
        Map<TopicPartition, Long> offsets = new HashMap<>();
        for (String part : s.split(",")) {
            String p = part.trim();
            int last = p.lastIndexOf(':');
            int middle = last <= 0 ? -1 : p.lastIndexOf(':', last - 1);
            if (middle <= 0) {
                throw invalid(spec, null);
            }
            try {
                TopicPartition tp = new TopicPartition(p.substring(0, middle), Integer.parseInt(p.substring(middle + 1, last)));
                long offset = Long.parseLong(p.substring(last + 1));
                if (tp.partition() < 0 || offset < 0 || offsets.put(tp, offset) != null) {
                    throw invalid(spec, null);
                }
            } catch (NumberFormatException e) {
                throw invalid(spec, e);
            }
        }
        return OffsetsInitializer.offsets(offsets);
    }

    private static long timestamp(String t) {
        try {
            return t.chars().allMatch(Character::isDigit) && !t.isEmpty() ? Long.parseLong(t) : Instant.parse(t).toEpochMilli();
        } catch (DateTimeParseException | NumberFormatException e) {
            throw new IllegalArgumentException(JobOptions.STOPPING_OFFSETS.key() + ": expected timestamp:EPOCH_MILLIS or "
                    + "timestamp:ISO-8601 (e.g. 2026-01-31T00:00:00Z), got '" + t + "'", e);
        }
    }

    private static IllegalArgumentException invalid(String spec, Exception cause) {
        return new IllegalArgumentException(JobOptions.STOPPING_OFFSETS.key() + " (--stopping-offsets): expected latest, "
                + "timestamp:T or topic:partition:offset,... (each partition once), got '" + spec + "'", cause);
    }
}
