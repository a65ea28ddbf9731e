package dev.siglipstream.testutils;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.common.utils.Exit;
import org.junit.jupiter.api.Test;

class KafkaHaltGuardTest {
    @Test
    void kafkasHaltAndExitAreRecordedForEveryTestClassInsteadOfEndingTheJvm() {
        // No @ExtendWith here: the guard comes from junit-platform.properties' autodetection. Without
        // it, the next line would end the test JVM and Surefire would report a crashed fork.
        Exit.halt(3, "log directory /tmp/gone is offline");
        Exit.exit(4, "fatal");
        assertThat(KafkaHaltGuard.drain()).containsExactly(
                "Kafka called Exit.halt(3) in thread main: log directory /tmp/gone is offline",
                "Kafka called Exit.exit(4) in thread main: fatal");
        assertThat(KafkaHaltGuard.drain()).isEmpty();
    }
}
