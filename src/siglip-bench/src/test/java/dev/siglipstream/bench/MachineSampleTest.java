package dev.siglipstream.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class MachineSampleTest {

    @Test
    void readsTotalAndStealFromTheCpuLine() {
        // user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
        long[] v = MachineSample.parseCpuLine("cpu  2416695 0 220135 921933 6380 0 6008 91787 500 0");
        assertThat(v).containsExactly(2416695L + 220135 + 921933 + 6380 + 6008 + 91787, 91787L);
        // an old kernel's line without steal
        assertThat(MachineSample.parseCpuLine("cpu 10 0 5 85")).containsExactly(100L, 0L);
    }

    @Test
    void stealAndCpuBetweenTwoSamples() {
        MachineSample a = new MachineSample(0, 1_000_000, 1000, 100);
        MachineSample b = new MachineSample(5_000_000_000L, 251_000_000, 1400, 160);
        assertThat(b.stealPercentSince(a)).isCloseTo(15.0, within(1e-9));
        assertThat(b.cpuMillisSince(a)).isCloseTo(250.0, within(1e-9));
        assertThat(b.stealPercentSince(new MachineSample(0, 0, -1, -1))).isNaN();
    }

    @Test
    void aLiveSampleOnLinuxHasTheMachineCounters() {
        MachineSample s = MachineSample.now();
        assertThat(s.processCpuNanos()).isPositive();
        if (java.nio.file.Files.isReadable(java.nio.file.Path.of("/proc/stat"))) {
            assertThat(s.totalTicks()).isPositive();
            assertThat(s.stealTicks()).isBetween(0L, s.totalTicks());
        }
    }
}
