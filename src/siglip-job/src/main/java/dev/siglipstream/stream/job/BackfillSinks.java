package dev.siglipstream.stream.job;

import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.stream.operator.Codecs;
import dev.siglipstream.stream.operator.Output;
import dev.siglipstream.stream.options.BackfillOptions;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.fs.Path;
import org.apache.flink.formats.avro.AvroWriters;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.BasePathBucketAssigner;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The Avro-file output of a backfill ({@link BackfillOptions#OUTPUT_PATH}): the job's encoded
 * outputs decoded once more and written by Flink's FileSink with flink-avro's writers, as Avro
 * container files (readable by avro-tools and Avro's DataFileReader): scored events under
 * {@code labels/}, dead letters under {@code dead-letters/}.
 */
final class BackfillSinks {
    private static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", new AvroTypeInfo<>(DeadLetter.class));

    private BackfillSinks() {}

    static void avroFiles(DataStream<Output> outputs, Configuration conf, Codecs codecs) {
        Path base = new Path(conf.get(BackfillOptions.OUTPUT_PATH));
        SingleOutputStreamOperator<LabelScoreEvent> scored = outputs
                .process(new Split(codecs), new AvroTypeInfo<>(LabelScoreEvent.class)).uid("decode-outputs").name("decode-outputs");
        scored.sinkTo(sink(new Path(base, BackfillOptions.OutputFolders.LABELS), LabelScoreEvent.class))
                .uid("labels-file-sink").name("labels-file-sink");
        scored.getSideOutput(DEAD_LETTERS)
                .sinkTo(sink(new Path(base, BackfillOptions.OutputFolders.DEAD_LETTERS), DeadLetter.class))
                .uid("dead-letters-file-sink").name("dead-letters-file-sink");
    }

    private static <T extends SpecificRecordBase> FileSink<T> sink(Path dir, Class<T> type) {
        return FileSink.forBulkFormat(dir, AvroWriters.forSpecificRecord(type))
                .withBucketAssigner(new BasePathBucketAssigner<>())
                .withOutputFileConfig(OutputFileConfig.builder().withPartPrefix("part").withPartSuffix(".avro").build())
                .build();
    }

    /** Scored events to the main output, dead letters to {@link #DEAD_LETTERS}. */
    private static final class Split extends ProcessFunction<Output, LabelScoreEvent> {
        private static final long serialVersionUID = 1L;
        private final Codecs codecs;

        Split(Codecs codecs) {
            this.codecs = codecs;
        }

        @Override
        public void processElement(Output out, Context ctx, Collector<LabelScoreEvent> scores) throws Exception {
            if (out.isDeadLetter()) {
                ctx.output(DEAD_LETTERS, codecs.deadLetters().decode(out.value()));
            } else {
                scores.collect(codecs.scores().decode(out.value()));
            }
        }
    }
}
