package dev.siglipstream.stream.job;

import dev.siglipstream.stream.operator.Output;
import dev.siglipstream.stream.options.BackfillOptions;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.flink.api.common.functions.MapFunction;

/**
 * Live counts of a job that runs in this JVM (a local MiniCluster, as {@code ./siglip tag} runs it):
 * outputs as they reach the sink, by kind. A command {@link #open opens} a tally, passes its id as
 * {@link BackfillOptions#PROGRESS_ID}, and reads it while the job runs; on a remote cluster the
 * tally is simply not found and nothing is counted. Counts are of outputs produced: after a task
 * restart they may include outputs produced again.
 */
public final class BackfillProgress {
    private static final Map<String, Tally> TALLIES = new ConcurrentHashMap<>();

    private BackfillProgress() {}

    /** A new tally under a fresh id; {@link Tally#close} forgets it. */
    public static Tally open() {
        Tally t = new Tally(java.util.UUID.randomUUID().toString());
        TALLIES.put(t.id(), t);
        return t;
    }

    /** Counts of one job. */
    public static final class Tally implements AutoCloseable {
        private final String id;
        private final LongAdder scored = new LongAdder();
        private final Map<String, LongAdder> deadLetters = new ConcurrentHashMap<>();

        private Tally(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public long scored() {
            return scored.sum();
        }

        /** Dead letters by reason, sorted by reason. */
        public Map<String, Long> deadLetters() {
            Map<String, Long> out = new TreeMap<>();
            deadLetters.forEach((reason, n) -> out.put(reason, n.sum()));
            return out;
        }

        /** Scored events plus dead letters. */
        public long outputs() {
            return scored() + deadLetters().values().stream().mapToLong(Long::longValue).sum();
        }

        void count(Output out) {
            if (out.isDeadLetter()) {
                deadLetters.computeIfAbsent(out.deadLetterReason(), r -> new LongAdder()).increment();
            } else {
                scored.increment();
            }
        }

        @Override
        public void close() {
            TALLIES.remove(id);
        }
    }

    /** Counts each output into the tally of its id, when that tally lives in this JVM. */
    static final class Count implements MapFunction<Output, Output> {
        private static final long serialVersionUID = 1L;
        private final String id;

        Count(String id) {
            this.id = id;
        }

        @Override
        public Output map(Output out) {
            Tally t = TALLIES.get(id);
            if (t != null) {
                t.count(out);
            }
            return out;
        }
    }
}
