package dev.siglipstream.stream.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.flink.FailureReason;
import dev.siglipstream.stream.model.ImageRejectedException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The scoring API's failure reasons and the model's rejection reasons are dead-letter reasons by
 * name: the job writes a failure as the dead letter of the same name, so a reason added to one
 * enum without the schema would fail there at run time; here it fails the build.
 */
class FailureReasonMappingTest {
    @Test
    void everyFailureReasonIsADeadLetterReason() {
        for (FailureReason r : FailureReason.values()) {
            assertThat(DeadLetterReason.valueOf(r.name()).name()).isEqualTo(r.name());
        }
    }

    @Test
    void everyRejectionReasonIsAFailureReason() {
        assertThat(Arrays.stream(ImageRejectedException.Reason.values()).map(r -> FailureReason.valueOf(r.name()).name()))
                .containsExactly(Arrays.stream(ImageRejectedException.Reason.values()).map(Enum::name).toArray(String[]::new));
    }
}
