package dev.siglipstream.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.siglipstream.events.DeadLetter;
import dev.siglipstream.events.ImageEvent;
import dev.siglipstream.events.LabelScoreEvent;
import dev.siglipstream.events.LabelSetUpdate;
import dev.siglipstream.stream.options.RegistryArguments;
import dev.siglipstream.stream.serde.AvroCodec;
import dev.siglipstream.stream.serde.AvroDecodeException;
import dev.siglipstream.stream.serde.EventJson;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code siglip consume}: prints the LabelScoreEvents and dead letters on a topic as JSON lines,
 * reading only committed records.
 *
 * <pre>{@code
 * ./siglip consume --bootstrap 127.0.0.1:9092 --topic scores --max 10
 * }</pre>
 */
@Command(
        name = "consume",
        mixinStandardHelpOptions = true,
        description = {
            "Prints the records of a topic as JSON lines (isolation.level=read_committed): LabelScoreEvents and dead letters, "
                    + "and with --type also ImageEvents or label-set updates. A record that cannot be decoded prints an {\"error\": ...} line.",
            "Stops after --max records, or when no record arrived for --timeout."
        })
final class ConsumeCommand implements Callable<Integer> {
    /** What the values on the topic are. */
    enum Type {
        AUTO, SCORE, DEAD_LETTER, IMAGE, LABEL_SET
    }

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin TopicReadOptions topic;

    @Option(names = "--type", defaultValue = "auto", paramLabel = "TYPE", converter = TypeConverter.class,
            description = "Value type: auto (LabelScoreEvent, else DeadLetter, else ImageEvent), score, dead-letter, "
                    + "image or label-set (default: ${DEFAULT-VALUE}).")
    Type type;

    @CommandLine.Mixin
    RegistryArguments registry = new RegistryArguments();

    @Override
    public Integer call() {
        if (topic.max < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max must be >= 1, got " + topic.max);
        }
        List<AvroCodec<? extends SpecificRecord>> codecs = codecs();
        PrintWriter out = spec.commandLine().getOut();
        topic.read(r -> {
            out.println(render(codecs, r));
            out.flush();
        });
        return 0;
    }

    private List<AvroCodec<? extends SpecificRecord>> codecs() {
        return switch (type) {
            case AUTO -> List.of(codec(LabelScoreEvent.class), codec(DeadLetter.class), codec(ImageEvent.class));
            case SCORE -> List.of(codec(LabelScoreEvent.class));
            case DEAD_LETTER -> List.of(codec(DeadLetter.class));
            case IMAGE -> List.of(codec(ImageEvent.class));
            case LABEL_SET -> List.of(codec(LabelSetUpdate.class));
        };
    }

    private <T extends SpecificRecord> AvroCodec<T> codec(Class<T> recordType) {
        return AvroCodec.create(recordType, topic.wireFormat, topic.schemaId, registry.settings(topic.wireFormat));
    }

    /** The first codec that consumes the whole value wins; decoding is strict, so a wrong type rarely fits exactly. */
    static String render(List<AvroCodec<? extends SpecificRecord>> codecs, ConsumerRecord<byte[], byte[]> r) {
        List<String> errors = new ArrayList<>();
        for (AvroCodec<? extends SpecificRecord> codec : codecs) {
            try {
                return EventJson.toJson(codec.decode(r.value()));
            } catch (AvroDecodeException e) {
                errors.add(e.getMessage());
            } catch (RuntimeException e) {
                errors.add(codec.type().getSimpleName() + ": " + e);
            }
        }
        return EventJson.error(String.join("; ", errors), r.topic(), r.partition(), r.offset());
    }

    /** Lower-case type names with dashes, as in the help. */
    static final class TypeConverter implements CommandLine.ITypeConverter<Type> {
        @Override
        public Type convert(String value) {
            try {
                return Type.valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("expected auto, score, dead-letter, image or label-set, got '" + value + "'");
            }
        }
    }
}
