package dev.siglipstream.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.testutils.CliRun;
import dev.siglipstream.testutils.TestData;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code siglip bench --quick} with the tiny model: the whole harness (raw vision figures, the job
 * end to end through the in-process broker with the exactly-once sink, the latency phase) runs and
 * its table adds up. Figures are not held to thresholds: the machine is shared.
 */
class EndToEndBenchITCase {
    static final String MODEL = TestData.conformance("models/siglip-tiny").toString();

    @Test
    void quickBenchPrintsOneConsistentTable() {
        CliRun run = CliRun.of("bench", "--model", MODEL, "--quick", "--small-images", "--threads", "2",
                "--batch-sizes", "1,8", "--events", "300", "--e2e-batch-size", "8", "--e2e-intra-op-threads", "1",
                "--e2e-inference-nice", "1", "--e2e-preprocess-nice", "2");
        assertThat(run.exitCode()).as(run.err()).isZero();
        String out = run.out();

        double raw1 = number(out, "vision raw images/s, batch 1\\s+(\\S+)");
        double raw8 = number(out, "vision raw images/s, batch 8\\s+(\\S+)");
        double best = number(out, "vision raw images/s, best\\s+(\\S+) \\(batch (?:1|8)\\)");
        assertThat(best).isEqualTo(Math.max(raw1, raw8));
        assertThat(number(out, "decode 640x480->224x224 images/s/core\\s+(\\S+)")).isPositive();
        assertThat(number(out, "preprocess 640x480->224x224 images/s/core\\s+(\\S+)")).isPositive();

        double e2e = number(out, "end-to-end images/s\\s+(\\S+)");
        assertThat(e2e).isPositive();
        // Every timed event came out exactly once, scored (the images are all valid).
        assertThat(out).containsPattern("end-to-end events\\s+300 timed \\(after 75 warm-up\\) in, 300 scored \\+ 0 dead letters, 0 duplicates");
        assertThat(out).contains("exactly-once, parallelism 1, max batch 8");
        // The raw figures ran with --threads 2; the job's session got its own settings.
        assertThat(out).contains("(fp32, intra-op threads 2 ")
                .containsPattern("2 preprocess thread\\(s\\), intra-op 1, inference nice 1, preprocess nice 2\\)");

        Matcher load = Pattern.compile("latency load\\s+(\\S+) events/s offered \\(0\\.50 x end-to-end\\), (\\d+)/(\\d+) out, "
                + "after (\\d+) events \\(1\\.00 s at that rate\\) not timed").matcher(out);
        assertThat(load.find()).as(out).isTrue();
        assertThat(Double.parseDouble(load.group(1))).isCloseTo(e2e / 2, org.assertj.core.data.Percentage.withPercentage(2));
        assertThat(load.group(2)).isEqualTo(load.group(3));
        assertThat(Integer.parseInt(load.group(3))).isBetween(20, 200);
        // --quick warms the latency phase up for 1 s at its rate: about that many events, all came out (or the run fails).
        Matcher warm = Pattern.compile("e2e: latency warm-up: (\\d+) events at (\\S+) events/s, not timed").matcher(run.err());
        assertThat(warm.find()).as(run.err()).isTrue();
        // the log prints the rate to 2 decimals, the table to 1
        assertThat(Double.parseDouble(warm.group(2))).isCloseTo(Double.parseDouble(load.group(1)), org.assertj.core.data.Offset.offset(0.051));
        assertThat(warm.group(1)).isEqualTo(load.group(4));
        assertThat(Integer.parseInt(warm.group(1)))
                .isCloseTo((int) Math.round(Double.parseDouble(warm.group(2))), org.assertj.core.data.Offset.offset(1));

        double[] scored = percentiles(out, "latency to scored ms p50/p95/p99");
        double[] committed = percentiles(out, "latency to committed ms p50/p95/p99");
        assertThat(scored[0]).isGreaterThanOrEqualTo(0).isLessThanOrEqualTo(scored[1]);
        assertThat(scored[1]).isLessThanOrEqualTo(scored[2]);
        assertThat(committed[0]).isPositive().isLessThanOrEqualTo(committed[1]);
        assertThat(committed[1]).isLessThanOrEqualTo(committed[2]);
        // A record is visible only after the job scored it (the scored clock has millisecond steps).
        assertThat(committed[0]).isGreaterThanOrEqualTo(scored[0] - 1);
        assertThat(out).containsPattern("latency bound ms\\s+\\S+ = max delay 10 \\+ 2 x \\S+ ms batch; p99 in scoring "
                + "(within|ABOVE) .*, p99 to scored (within|ABOVE) .*, p99 to committed (within|above)");
        double bound = number(out, "latency bound ms\\s+(\\S+) =");
        double[] inScoring = percentiles(out, "latency in scoring ms p50/p95/p99");
        // (Printed figures are rounded: a p99 within rounding of the bound may read either way.)
        if (Math.abs(inScoring[2] - bound) > 0.1) {
            assertThat(out).contains("p99 in scoring " + (inScoring[2] < bound ? "within" : "ABOVE") + " (");
        }
        if (Math.abs(scored[2] - bound) > 0.1) {
            assertThat(out).contains("p99 to scored " + (scored[2] < bound ? "within" : "ABOVE") + " (");
        }
        // The CPU the whole path spends per image against the model's own, and the machine's steal.
        // (n/a when every event of the short timed phase became visible in one poll: then the CPU per
        // event has no window either.)
        String cpuRatio = text(out, "end-to-end CPU / raw CPU per image\\s+(\\S+)");
        if (cpuRatio.equals("n/a")) {
            assertThat(text(out, "end-to-end CPU ms/event\\s+(\\S+)")).isEqualTo("n/a");
        } else {
            assertThat(Double.parseDouble(cpuRatio)).isPositive();
        }
        assertThat(out).containsPattern("machine steal %\\s+raw batch 8 (\\S+), end to end (\\S+), raw again (\\S+) ");
        // Where the time inside the scoring operator went, stage by stage, in the operator's order.
        assertThat(out).containsPattern("in scoring by stage ms p50\\s+queue \\S+, fetch \\S+, preprocess \\S+, "
                + "batchWait \\S+, inference \\S+, scoreWait \\S+\n");
        assertThat(number(out, "in scoring by stage ms p99\\s+.*inference (\\S+),")).isPositive();
        double[] wake = percentiles(out, "wake-up delay ms p50/p99/max");
        assertThat(wake[0]).isGreaterThanOrEqualTo(0).isLessThanOrEqualTo(wake[1]);
        assertThat(wake[1]).isLessThanOrEqualTo(wake[2]);

        long rssMiB = (long) number(out, "peak resident memory\\s+(\\d+) MiB");
        assertThat(rssMiB).isBetween(50L, 64L * 1024);

        Matcher ratio = Pattern.compile("(?m)^end-to-end/raw: (\\d+\\.\\d\\d)$").matcher(out);
        assertThat(ratio.find()).as(out).isTrue();
        // The raw figure is measured again after the end-to-end run; the ratio divides by the higher one.
        double again = number(out, "vision raw images/s, batch 8 again\\s+(\\S+)");
        assertThat(again).isPositive();
        assertThat(Double.parseDouble(ratio.group(1)))
                .isCloseTo(e2e / Math.max(best, again), org.assertj.core.data.Offset.offset(0.01));
    }

    @Test
    void rawLayoutsGetRowsOfTheirOwnAndTheJobRunsBatchesAtOnce() {
        CliRun run = CliRun.of("bench", "--model", MODEL, "--quick", "--small-images", "--threads", "0",
                "--concurrent-batches", "1,2", "--batch-sizes", "8", "--events", "200", "--e2e-batch-size", "8",
                "--e2e-concurrent-batches", "2", "--e2e-intra-op-threads", "1");
        assertThat(run.exitCode()).as(run.err()).isZero();
        String out = run.out();
        // With --threads 0, one batch at a time gets ONNX Runtime's own thread count, two at once one thread each.
        double one = number(out, "vision raw images/s, batch 8, 1 at once x auto threads\\s+(\\S+)");
        double two = number(out, "vision raw images/s, batch 8, 2 at once x 1 thread\\s+(\\S+)");
        Matcher best = Pattern.compile("vision raw images/s, best\\s+(\\S+) \\(batch 8, ([12]) at once").matcher(out);
        assertThat(best.find()).as(out).isTrue();
        assertThat(Double.parseDouble(best.group(1))).isEqualTo(Math.max(one, two));
        assertThat(best.group(2)).isEqualTo(one >= two ? "1" : "2");
        assertThat(out).contains("exactly-once, parallelism 1, max batch 8 (2 at once), ")
                .containsPattern("end-to-end events\\s+200 timed \\(after 50 warm-up\\) in, 200 scored \\+ 0 dead letters, 0 duplicates")
                .containsPattern("(?m)^end-to-end/raw: \\d+\\.\\d\\d$");
    }

    @Test
    void segmentedRunsDivideEachSegmentByTheRawFiguresEitherSideOfIt() {
        CliRun run = CliRun.of("bench", "--model", MODEL, "--quick", "--small-images", "--threads", "1",
                "--batch-sizes", "1,8", "--events", "400", "--e2e-segments", "2");
        assertThat(run.exitCode()).as(run.err()).isZero();
        String out = run.out();
        // Without --e2e-batch-size the job runs the batch size with the best raw figure, the one the ratio divides by.
        Matcher best = Pattern.compile("vision raw images/s, best\\s+(\\S+) \\(batch (1|8)\\)").matcher(out);
        assertThat(best.find()).as(out).isTrue();
        String batch = best.group(2);
        assertThat(Double.parseDouble(best.group(1))).isEqualTo(Math.max(number(out, "vision raw images/s, batch 1\\s+(\\S+)"),
                number(out, "vision raw images/s, batch 8\\s+(\\S+)")));
        assertThat(out).contains("exactly-once, parallelism 1, max batch " + batch + ", ");
        // 400 events in 2 segments of whole batches: 200 each, all scored exactly once.
        assertThat(out).containsPattern("end-to-end events\\s+400 timed \\(after 100 warm-up\\) in, 400 scored \\+ 0 dead letters, "
                + "0 duplicates, in 2 segments of 200");
        double[] rates = list(out, "end-to-end images/s by segment\\s+([^(]+) \\(");
        double[] raw = list(out, "vision raw images/s between segments\\s+([^(]+) \\(batch " + batch + ":");
        double[] ratios = list(out, "end-to-end/raw by segment\\s+([^(]+) \\(");
        assertThat(rates).hasSize(2);
        assertThat(raw).hasSize(3);
        assertThat(java.util.Arrays.stream(raw).min().getAsDouble()).isPositive();
        assertThat(ratios).hasSize(2);
        for (int k = 0; k < 2; k++) {
            // Ratios are printed to 2 decimals, the rates to 3 or more significant digits.
            double expected = rates[k] / ((raw[k] + raw[k + 1]) / 2);
            assertThat(ratios[k]).isCloseTo(expected, org.assertj.core.data.Offset.offset(0.005 + 0.01 * expected));
        }
        assertThat(number(out, "(?m)^end-to-end/raw: (\\d+\\.\\d\\d)$"))
                .isCloseTo((ratios[0] + ratios[1]) / 2, org.assertj.core.data.Offset.offset(0.011));
        double idle = number(out, "idle job CPU between segments\\s+(\\S+) cores");
        assertThat(idle).isGreaterThanOrEqualTo(0).isLessThan(2.5);
        // The raw figures between segments replace the one measured again after the run, for the rate,
        // the CPU per image and the steal.
        assertThat(out).doesNotContain(" again ")
                .containsPattern("machine steal %\\s+raw between segments \\S+, end to end \\S+ \\(");
        String cpu = text(out, "end-to-end CPU / raw CPU per image\\s+(\\S+)");
        if (!cpu.equals("n/a")) {
            assertThat(out).contains("ms at the raw figures between segments (batch " + batch + ")");
        }
    }

    private static double[] list(String out, String regex) {
        String[] parts = text(out, regex).split(", ");
        double[] v = new double[parts.length];
        for (int i = 0; i < parts.length; i++) v[i] = Double.parseDouble(parts[i].trim());
        return v;
    }

    private static String text(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        assertThat(m.find()).as("'%s' in:%n%s", regex, out).isTrue();
        return m.group(1);
    }

    private static double number(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        assertThat(m.find()).as("'%s' in:%n%s", regex, out).isTrue();
        return Double.parseDouble(m.group(1));
    }

    private static double[] percentiles(String out, String name) {
        Matcher m = Pattern.compile(Pattern.quote(name) + "\\s+(\\S+) / (\\S+) / (\\S+)").matcher(out);
        assertThat(m.find()).as("'%s' in:%n%s", name, out).isTrue();
        return new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3))};
    }
}
