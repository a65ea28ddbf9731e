package dev.siglipstream.cli;

import dev.siglipstream.bench.EndToEndBench;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;

/** The closing table of {@code siglip bench}: every figure of the run, then the {@code end-to-end/raw:} line. */
final class BenchTable {
    private final PrintStream out;

    BenchTable(PrintStream out) {
        this.out = out;
    }

    /**
     * @param raw per raw layout, vision-tower images/s (median) per batch size; the job ran in the best layout
     * @param decodeRate decode-only images/s on one core, NaN when not measured
     * @param preprocessRate decode + resize + normalise images/s on one core, NaN when not measured
     * @param e2e the end-to-end run, null when skipped
     * @param rawAfter raw images/s at the job's batch size, measured again right after the end-to-end run
     *     (NaN when not measured): the ratio is taken against the higher of it and the best raw figure,
     *     so a machine that got busier during the raw phase cannot flatter the ratio
     * @param rawCosts per layout and batch size, what its raw figure cost in CPU and the steal meanwhile
     * @param rawAfterCost the same for {@code rawAfter}, null when not measured
     */
    void print(String header, Map<BenchCommand.Layout, SortedMap<Integer, Double>> raw,
            Map<BenchCommand.Layout, Map<Integer, BenchCommand.RawCost>> rawCosts, double decodeRate,
            double preprocessRate, String preprocessWhat, EndToEndBench.Settings settings, EndToEndBench.Result e2e,
            double rawAfter, BenchCommand.RawCost rawAfterCost, long peakRss) {
        out.println();
        out.println("== " + header);
        boolean layouts = raw.size() > 1;
        for (Map.Entry<BenchCommand.Layout, SortedMap<Integer, Double>> l : raw.entrySet()) {
            for (Map.Entry<Integer, Double> e : l.getValue().entrySet()) {
                row("vision raw images/s, batch " + e.getKey() + (layouts ? ", " + l.getKey().describe() : ""), f(e.getValue()));
            }
        }
        BenchCommand.Layout bestLayout = bestLayout(raw);
        Map.Entry<Integer, Double> best = bestLayout == null ? null : best(raw.get(bestLayout));
        if (best != null) {
            row("vision raw images/s, best", f(best.getValue()) + " (batch " + best.getKey()
                    + (layouts ? ", " + bestLayout.describe() : "") + ")");
        }
        if (!Double.isNaN(decodeRate)) {
            row("decode " + preprocessWhat + " images/s/core", f(decodeRate) + " (" + f(1000 / decodeRate) + " ms)");
        }
        if (!Double.isNaN(preprocessRate)) {
            row("preprocess " + preprocessWhat + " images/s/core", f(preprocessRate) + " (" + f(1000 / preprocessRate)
                    + " ms; decode + resize + normalise)");
        }
        if (e2e != null) {
            String how = String.format(Locale.ROOT, "%s, parallelism %d, max batch %d%s, max delay %d ms%s, checkpoint %d ms, buffer timeout %d ms, "
                            + "%d preprocess thread(s), intra-op %s%s",
                    settings.exactlyOnce() ? "exactly-once" : "at-least-once", settings.parallelism(), settings.maxBatchSize(),
                    settings.concurrentBatches() == 1 ? "" : " (" + settings.concurrentBatches() + " at once)",
                    settings.maxBatchDelay().toMillis(), settings.dispatchWhenIdle() ? " (dispatch when idle)" : "", settings.checkpointInterval().toMillis(), settings.bufferTimeout().toMillis(), settings.preprocessThreads(),
                    settings.intraOpThreads() == 0 ? "auto" : String.valueOf(settings.intraOpThreads()),
                    (settings.inferenceNice() == null ? "" : ", inference nice " + settings.inferenceNice())
                            + (settings.preprocessNice() == null ? "" : ", preprocess nice " + settings.preprocessNice()));
            boolean rough = e2e.meanBatchSize() > 0 && e2e.scored() < 5 * e2e.meanBatchSize();
            row("end-to-end images/s", f(e2e.eventsPerSecond()) + (rough ? " ROUGH: under 5 batches" : "") + " (" + (settings.smallImages() ? "64x64 JPEGs" : "640x480 JPEG")
                    + "; " + how + ")");
            int segments = e2e.segmentRates().length;
            row("end-to-end events", e2e.events() + " timed (after " + e2e.warmupAccounted() + " warm-up) in, " + e2e.scored() + " scored + " + e2e.deadLetters()
                    + " dead letters, " + e2e.duplicates() + " duplicates, " + (segments > 0
                    ? "in " + segments + " segments of " + e2e.events() / segments + ", each sent once the job was idle"
                    : f(e2e.seconds()) + " s first-to-last output (" + f(e2e.committedPerSecond())
                            + " events/s as committed; images/s above is as scored)"));
            if (segments > 0) {
                row("end-to-end images/s by segment", join(e2e.segmentRates()) + " (end-to-end images/s above: all their timed events over all their windows)");
            }
            if (!e2e.rawBetween().isEmpty()) {
                row("vision raw images/s between segments", join(e2e.rawBetween().stream()
                        .mapToDouble(EndToEndBench.RawFigure::imagesPerSecond).toArray()) + " (batch " + best.getKey()
                        + (layouts ? ", " + bestLayout.describe() : "") + ": before the first segment and after each, in this process, the job idle)");
                row("end-to-end/raw by segment", join(e2e.segmentRatios()) + " (each segment's rate / the mean of the raw figures "
                        + "either side of it)");
                row("idle job CPU between segments", String.format(Locale.ROOT, "%.3f", e2e.rawBetween().stream()
                        .mapToDouble(EndToEndBench.RawFigure::idleCores).average().orElse(Double.NaN)) + " cores (mean over the half "
                        + "second before each raw figure between segments, taken once the job had gone quiet, or after 10 s (1 s with --quick): "
                        + "about that share of the cores went to the job during the raw figures too)");
            }
            row("end-to-end batches", f(e2e.meanBatchSize()) + " images/batch, " + f(e2e.batchMillis()) + " ms/batch inference");
            int cores = Runtime.getRuntime().availableProcessors();
            row("end-to-end CPU ms/event", f(e2e.cpuMillisPerEvent()) + " (whole process: job, broker and reader; "
                    + cores + " cores / this = " + f(cores * 1000 / e2e.cpuMillisPerEvent()) + " events/s if every core worked for it)");
            // The model's own CPU per image and the steal beside it: the raw figures between the segments when
            // there are some (taken seconds from the job's, at the probe's batch size), else the sweep's at the job's size.
            List<EndToEndBench.RawFigure> between = e2e.rawBetween();
            BenchCommand.RawCost sweep = rawCosts.getOrDefault(bestLayout, Map.of()).get(settings.maxBatchSize());
            String rawName;
            double rawCpu;
            String rawSteal;
            if (!between.isEmpty()) {
                rawName = "the raw figures between segments (batch " + best.getKey() + (layouts ? ", " + bestLayout.describe() : "") + ")";
                rawCpu = between.stream().mapToDouble(EndToEndBench.RawFigure::cpuMillisPerImage).average().orElse(Double.NaN);
                rawSteal = "raw between segments " + pct(between.stream().mapToDouble(EndToEndBench.RawFigure::stealPercent).average()
                        .orElse(Double.NaN)) + ", end to end " + pct(e2e.stealPercent());
            } else {
                rawName = "raw batch " + settings.maxBatchSize() + (layouts ? " (" + bestLayout.describe() + ")" : "");
                rawCpu = sweep == null ? Double.NaN : sweep.cpuMsPerImage();
                rawSteal = rawName + " " + pct(sweep == null ? Double.NaN : sweep.stealPercent()) + ", end to end "
                        + pct(e2e.stealPercent()) + ", raw again " + pct(rawAfterCost == null ? Double.NaN : rawAfterCost.stealPercent());
            }
            if (!Double.isNaN(rawCpu)) {
                row("end-to-end CPU / raw CPU per image", f(e2e.cpuMillisPerEvent() / rawCpu) + " ("
                        + f(e2e.cpuMillisPerEvent()) + " against " + f(rawCpu) + " ms at " + rawName
                        + ": the CPU the whole path spends per image over the model's own; stolen time counts in neither)");
            }
            row("machine steal %", rawSteal + " (CPU time the hypervisor gave to other guests: every rate here falls with it)");
            int latencyWarmup = settings.latencyWarmupEvents(e2e.offeredRate());
            row("latency load", f(e2e.offeredRate()) + " events/s offered (" + f(settings.loadFraction())
                    + " x end-to-end), " + e2e.latencyAccounted() + "/" + e2e.latencyEvents() + " out"
                    + (latencyWarmup == 0 ? "" : ", after " + latencyWarmup + " events ("
                    + f(settings.latencyWarmup().toMillis() / 1000.0) + " s at that rate) not timed"));
            row("latency batches", f(e2e.latencyBatchSize()) + " images/batch, " + f(e2e.latencyBatchMillis()) + " ms/batch inference");
            EndToEndBench.Latency sc = e2e.scoredLatency();
            EndToEndBench.Latency vis = e2e.visibleLatency();
            row("latency to scored ms p50/p95/p99", f(sc.p50()) + " / " + f(sc.p95()) + " / " + f(sc.p99())
                    + " (send -> job scored it, handed to the sink writer)");
            EndToEndBench.Latency in = e2e.scoringLatency();
            row("latency in scoring ms p50/p95/p99", f(in.p50()) + " / " + f(in.p95()) + " / " + f(in.p99())
                    + " (asyncInvoke -> scored: preprocessing, waiting for and running the batch; the rest is Kafka and Flink)");
            row("latency to committed ms p50/p95/p99", f(vis.p50()) + " / " + f(vis.p95()) + " / " + f(vis.p99())
                    + " (send -> visible to read_committed" + (settings.exactlyOnce()
                    ? "; includes waiting for the checkpoint that commits it, interval " + settings.checkpointInterval().toMillis() + " ms)"
                    : ")"));
            double bound = settings.maxBatchDelay().toMillis() + 2 * e2e.latencyBatchMillis();
            if (!e2e.stageLatency().isEmpty()) {
                StringBuilder p50 = new StringBuilder();
                StringBuilder p99 = new StringBuilder();
                for (Map.Entry<String, EndToEndBench.Latency> st : e2e.stageLatency().entrySet()) {
                    String sep = p50.length() == 0 ? "" : ", ";
                    p50.append(sep).append(st.getKey()).append(' ').append(f(st.getValue().p50()));
                    p99.append(sep).append(st.getKey()).append(' ').append(f(st.getValue().p99()));
                }
                row("in scoring by stage ms p50", p50.toString());
                row("in scoring by stage ms p99", p99 + " (each stage's own p99: they need not add up)");
            }
            EndToEndBench.Latency wake = e2e.wakeUpDelay();
            row("wake-up delay ms p50/p99/max", f(wake.p50()) + " / " + f(wake.p99()) + " / " + f(wake.max())
                    + " (a thread of this process sleeping 1 ms at a time during the latency phase: how long a ready "
                    + "thread waited for a core)");
            row("latency bound ms", f(bound) + " = max delay " + settings.maxBatchDelay().toMillis() + " + 2 x "
                    + f(e2e.latencyBatchMillis()) + " ms batch; p99 in scoring " + (in.p99() <= bound ? "within" : "ABOVE")
                    + " (the batcher's share, which the bound models), p99 to scored " + (sc.p99() <= bound ? "within" : "ABOVE")
                    + " (adds the Kafka hop), p99 to committed " + (vis.p99() <= bound ? "within" : "above"));
        }
        if (!Double.isNaN(rawAfter) && settings != null) {
            row("vision raw images/s, batch " + settings.maxBatchSize() + (layouts ? ", " + bestLayout.describe() : "") + " again", f(rawAfter)
                    + " (right after end to end; the ratio below divides by the higher raw figure)");
        }
        row("peak resident memory", peakRss < 0 ? "n/a" : (peakRss >> 20) + " MiB (VmHWM, whole run)");
        if (e2e != null && e2e.segmentRatios().length > 0) {
            out.printf(Locale.ROOT, "end-to-end/raw: %.2f%n", BenchCommand.Figure.of(e2e.segmentRatios()).median());
        } else if (e2e != null && best != null) {
            double denominator = Double.isNaN(rawAfter) ? best.getValue() : Math.max(best.getValue(), rawAfter);
            out.printf(Locale.ROOT, "end-to-end/raw: %.2f%n", e2e.eventsPerSecond() / denominator);
        }
        out.flush();
    }

    /** The layout with the highest raw figure of any batch size; null when there are none. */
    static BenchCommand.Layout bestLayout(Map<BenchCommand.Layout, SortedMap<Integer, Double>> raw) {
        BenchCommand.Layout bestLayout = null;
        double bestRate = Double.NEGATIVE_INFINITY;
        for (Map.Entry<BenchCommand.Layout, SortedMap<Integer, Double>> l : raw.entrySet()) {
            Map.Entry<Integer, Double> b = best(l.getValue());
            if (b != null && b.getValue() > bestRate) {
                bestLayout = l.getKey();
                bestRate = b.getValue();
            }
        }
        return bestLayout;
    }

    static Map.Entry<Integer, Double> best(SortedMap<Integer, Double> raw) {
        Map.Entry<Integer, Double> best = null;
        for (Map.Entry<Integer, Double> e : raw.entrySet()) {
            if (best == null || e.getValue() > best.getValue()) best = e;
        }
        return best;
    }

    private static String join(double[] values) {
        StringBuilder b = new StringBuilder();
        for (double v : values) {
            b.append(b.length() == 0 ? "" : ", ").append(f(v));
        }
        return b.toString();
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.1f", v);
    }

    private void row(String name, String value) {
        out.printf(Locale.ROOT, "%-38s %s%n", name, value);
    }

    private static String f(double v) {
        if (Double.isNaN(v)) return "n/a";
        return String.format(Locale.ROOT, v >= 100 ? "%.1f" : "%.2f", v);
    }
}
