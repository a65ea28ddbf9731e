package dev.siglipstream.stream.operator;

import dev.siglipstream.events.LabelScore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Turns one image's probabilities into the event's score list: stable descending, cut to top-k. */
final class Ranking {
    private Ranking() {}

    static List<LabelScore> rank(float[] probs, List<String> labels, Integer topK) {
        if (probs.length != labels.size()) {
            throw new IllegalArgumentException("got " + probs.length + " scores for " + labels.size() + " labels");
        }
        List<Integer> order = new ArrayList<>(probs.length);
        for (int i = 0; i < probs.length; i++) {
            order.add(i);
        }
        // List.sort is stable: ties keep label order, as the zero-shot pipeline does.
        order.sort(Comparator.comparingDouble((Integer i) -> probs[i]).reversed());
        int k = topK == null ? probs.length : Math.min(topK, probs.length);
        List<LabelScore> out = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            int j = order.get(i);
            out.add(new LabelScore(labels.get(j), probs[j]));
        }
        return out;
    }
}
