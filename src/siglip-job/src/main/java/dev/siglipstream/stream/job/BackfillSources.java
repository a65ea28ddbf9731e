package dev.siglipstream.stream.job;

import dev.siglipstream.stream.operator.Codecs;
import dev.siglipstream.stream.operator.RawRecord;
import dev.siglipstream.stream.options.BackfillOptions;
import dev.siglipstream.stream.options.JobOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.reader.TextLineInputFormat;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The bounded file input of a backfill ({@link BackfillOptions#INPUT}): a folder of images through
 * {@link WholeFileFormat}, or a listing of URIs through Flink's line format, each turned into the
 * job's input records by {@link BackfillEvents}.
 */
final class BackfillSources {
    private BackfillSources() {}

    static DataStream<RawRecord> files(StreamExecutionEnvironment env, Configuration conf, Codecs codecs) {
        Path input = new Path(conf.get(BackfillOptions.INPUT));
        TypeInformation<RawRecord> type = TypeInformation.of(RawRecord.class);
        if (format(input, conf.get(BackfillOptions.INPUT_FORMAT)) == BackfillOptions.InputFormat.IMAGES) {
            FileSource<ImageFile> source = FileSource.forBulkFileFormat(
                    new WholeFileFormat(conf.get(JobOptions.MAX_IMAGE_BYTES)), input).build();
            return env.fromSource(source, WatermarkStrategy.noWatermarks(), "image-files").uid("image-files-source")
                    .map(new BackfillEvents.FromFiles(codecs), type).uid("file-events").name("file-events");
        }
        FileSource<String> source = FileSource.forRecordStreamFormat(new TextLineInputFormat(), input).build();
        String base = input.getParent() == null ? input.toUri().toString() : input.getParent().toUri() + "/";
        if (base.startsWith("/")) {
            base = java.nio.file.Path.of(base).toUri().toString();
        }
        return env.fromSource(source, WatermarkStrategy.noWatermarks(), "image-listing").uid("image-listing-source")
                .flatMap(new BackfillEvents.FromListing(codecs, base), type).uid("listing-events").name("listing-events");
    }

    /** What {@code input} holds: {@code format}, or for auto, images in a folder and a listing in a file. */
    static BackfillOptions.InputFormat format(Path input, BackfillOptions.InputFormat format) {
        if (format != BackfillOptions.InputFormat.AUTO) {
            return format;
        }
        try {
            return input.getFileSystem().getFileStatus(input).isDir()
                    ? BackfillOptions.InputFormat.IMAGES : BackfillOptions.InputFormat.LISTING;
        } catch (java.io.FileNotFoundException e) {
            throw new IllegalArgumentException(BackfillOptions.INPUT.key() + ": " + input + " does not exist", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + input, e);
        }
    }
}
