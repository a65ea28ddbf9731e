package dev.siglipstream.stream.model;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Text embeddings by the exact hypotheses they were computed from (the texts' value: never a hash,
 * never a label-set id alone), least recently used first out, bounded by entries and by bytes
 * (embeddings and keys). A request for texts in flight shares the one computation. Thread-safe.
 */
final class TextEmbeddingCache {
    private final int maxEntries;
    private final long maxBytes;
    private final LinkedHashMap<List<String>, CompletableFuture<float[][]>> futures = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<List<String>, Long> weights = new java.util.HashMap<>();
    private long bytes;

    TextEmbeddingCache(int maxEntries, long maxBytes) {
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
    }

    /** The cached or in-flight future for {@code key}; else {@code created} is stored and returned as "new". */
    synchronized Lookup lookup(List<String> key, CompletableFuture<float[][]> created) {
        CompletableFuture<float[][]> f = futures.get(key);
        if (f != null) {
            return new Lookup(f, false);
        }
        futures.put(key, created);
        evict(null);
        return new Lookup(created, true);
    }

    /** Records the size of a finished computation and evicts down to the bounds (it may evict itself). */
    synchronized void completed(List<String> key, CompletableFuture<float[][]> target, float[][] embeddings) {
        if (futures.get(key) != target) {
            return; // evicted while it ran
        }
        long w = weight(key, embeddings);
        weights.put(key, w);
        bytes += w;
        evict(key);
        if (bytes > maxBytes) {
            remove(key, target); // larger than the whole cache on its own: served once, not kept
        }
    }

    /** Forgets a failed computation, so the next request tries again. */
    synchronized void remove(List<String> key, CompletableFuture<float[][]> target) {
        if (futures.remove(key, target)) {
            Long w = weights.remove(key);
            if (w != null) {
                bytes -= w;
            }
        }
    }

    synchronized long bytes() {
        return bytes;
    }

    synchronized int size() {
        return futures.size();
    }

    private void evict(List<String> keep) {
        Iterator<Map.Entry<List<String>, CompletableFuture<float[][]>>> it = futures.entrySet().iterator();
        while ((futures.size() > maxEntries || bytes > maxBytes) && it.hasNext()) {
            Map.Entry<List<String>, CompletableFuture<float[][]>> eldest = it.next();
            if (eldest.getKey().equals(keep) || !eldest.getValue().isDone()) {
                continue; // in flight: its waiters hold it; it is weighed when it completes
            }
            it.remove();
            Long w = weights.remove(eldest.getKey());
            if (w != null) {
                bytes -= w;
            }
        }
    }

    /** Bytes of the embeddings plus the key's texts (two bytes a char, with object overheads). */
    static long weight(List<String> key, float[][] embeddings) {
        long w = 0;
        for (float[] row : embeddings) {
            w += 16L + 4L * row.length;
        }
        for (String s : key) {
            w += 40L + 2L * s.length();
        }
        return w;
    }

    record Lookup(CompletableFuture<float[][]> future, boolean created) {}
}
