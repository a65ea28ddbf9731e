package dev.siglipstream.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's CPU time and the machine's CPU accounting ({@code /proc/stat}) at one moment. Two
 * samples give the CPU the process used between them, and the share of the machine's CPU time that
 * the hypervisor gave to other guests ({@code steal}): on a shared virtual machine that share moves
 * from minute to minute, and every wall-clock rate moves with it.
 *
 * @param nanos {@link System#nanoTime()}
 * @param processCpuNanos CPU time of this process, all threads
 * @param totalTicks all CPU time of the machine in {@code /proc/stat} ticks; -1 where it cannot be read
 * @param stealTicks the stolen part of it
 */
public record MachineSample(long nanos, long processCpuNanos, long totalTicks, long stealTicks) {

    public static MachineSample now() {
        long[] stat = procStat();
        return new MachineSample(System.nanoTime(), currentProcessCpuNanos(), stat[0], stat[1]);
    }

    /** Percent of the machine's CPU time stolen since {@code earlier}; NaN where unknown. */
    public double stealPercentSince(MachineSample earlier) {
        long total = totalTicks - earlier.totalTicks;
        if (totalTicks < 0 || earlier.totalTicks < 0 || total <= 0) return Double.NaN;
        return 100.0 * (stealTicks - earlier.stealTicks) / total;
    }

    /** CPU milliseconds this process used since {@code earlier}. */
    public double cpuMillisSince(MachineSample earlier) {
        return (processCpuNanos - earlier.processCpuNanos) / 1e6;
    }

    private static long currentProcessCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** {total, steal} of the first ("cpu") line of /proc/stat, or {-1, -1}. */
    static long[] procStat() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("cpu ")) return parseCpuLine(line);
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: unknown
        }
        return new long[] {-1, -1};
    }

    /** {total, steal} of a /proc/stat "cpu" line: user nice system idle iowait irq softirq steal [guest guest_nice]. */
    static long[] parseCpuLine(String line) {
        String[] f = line.trim().split("\\s+");
        long total = 0;
        // guest and guest_nice are already counted in user and nice
        for (int i = 1; i < Math.min(f.length, 9); i++) {
            total += Long.parseLong(f[i]);
        }
        long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
        return new long[] {total, steal};
    }
}
