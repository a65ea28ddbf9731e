package dev.siglipstream.stream.job;

import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.stream.operator.Codecs;
import dev.siglipstream.stream.operator.RawRecord;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.util.Collector;

/**
 * Turns backfill input into the job's input records: an {@link ImageEvent} per file (the image
 * inline) or per listing line (the image by URI, fetched by the job's fetcher under its allowlist),
 * keyed and identified by the file's path or the line's URI. From there the job's own path runs:
 * label-set resolution, scoring, dead letters.
 */
final class BackfillEvents {
    /** The name files are encoded for (a registry subject, when the job uses one). */
    static final String FILES_TOPIC = "siglip-backfill";

    private BackfillEvents() {}

    static RawRecord record(Codecs codecs, ImageEvent event) {
        byte[] key = event.getId().getBytes(StandardCharsets.UTF_8);
        return new RawRecord(null, -1, -1L, key, codecs.images().encode(event, FILES_TOPIC));
    }

    /** One event per file, the image inline. */
    static final class FromFiles implements MapFunction<ImageFile, RawRecord> {
        private static final long serialVersionUID = 1L;
        private final Codecs codecs;

        FromFiles(Codecs codecs) {
            this.codecs = codecs;
        }

        @Override
        public RawRecord map(ImageFile file) {
            return record(codecs, ImageEvent.newBuilder().setId(file.id()).setImage(ByteBuffer.wrap(file.bytes()))
                    .setMetadata(Map.of()).setEventTime(Instant.ofEpochMilli(file.modified())).build());
        }
    }

    /** One event per listing line (blank lines and # comments skipped), the image by URI. */
    static final class FromListing implements FlatMapFunction<String, RawRecord> {
        private static final long serialVersionUID = 1L;
        private final Codecs codecs;
        private final String baseUri;

        /** @param baseUri the listing's folder as a URI ending in '/': relative paths resolve against it */
        FromListing(Codecs codecs, String baseUri) {
            this.codecs = codecs;
            this.baseUri = baseUri;
        }

        @Override
        public void flatMap(String line, Collector<RawRecord> out) {
            String entry = line.strip();
            if (entry.isEmpty() || entry.startsWith("#")) {
                return;
            }
            String uri = uri(entry, baseUri);
            out.collect(record(codecs, ImageEvent.newBuilder().setId(entry).setImageUri(uri).setMetadata(Map.of())
                    .setEventTime(Instant.now()).build()));
        }

        /**
         * {@code entry} as a URI: as it is with a scheme, else a path (absolute, or relative to {@code base});
         * what cannot be read as either stays as it is, for the fetcher to refuse as a dead letter.
         */
        static String uri(String entry, String base) {
            boolean windowsDrive = entry.matches("^[A-Za-z]:[\\\\/].*");
            if (entry.matches("^[A-Za-z][A-Za-z0-9+.-]*:.*") && !windowsDrive) {
                return entry;
            }
            try {
                URI b = URI.create(base);
                if ("file".equals(b.getScheme())) {
                    return java.nio.file.Path.of(b).resolve(entry).normalize().toUri().toString();
                }
                return b.resolve(new URI(null, null, entry, null)).normalize().toString();
            } catch (IllegalArgumentException | java.net.URISyntaxException e) {
                return entry;
            }
        }
    }
}
