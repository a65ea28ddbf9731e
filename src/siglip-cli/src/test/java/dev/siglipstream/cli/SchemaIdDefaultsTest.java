package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.stream.options.JobOptions;
import dev.siglipstream.stream.serde.WireFormat;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The job and the CLI frame Confluent records with one default schema id (they disagreed: 0 and 1). */
class SchemaIdDefaultsTest {
    @Test
    void produceConsumeLabelSetAndTheJobShareOneDefaultSchemaId() {
        assertThat(JobOptions.SCHEMA_ID.defaultValue()).isEqualTo(WireFormat.DEFAULT_SCHEMA_ID);
        for (Object command : new Object[] {new ProduceCommand(), new ConsumeCommand(), new LabelSetCommand()}) {
            String d = new CommandLine(command).getCommandSpec().findOption("--schema-id").defaultValue();
            assertThat(Integer.parseInt(d)).as("%s --schema-id", command.getClass().getSimpleName())
                    .isEqualTo(JobOptions.SCHEMA_ID.defaultValue());
        }
    }
}
