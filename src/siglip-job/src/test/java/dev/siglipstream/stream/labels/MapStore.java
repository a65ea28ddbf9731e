package dev.siglipstream.stream.labels;

import java.util.HashMap;
import java.util.Map;

/** Live label sets in a map, as the tests keep them (Flink's broadcast state in the job). */
final class MapStore implements LabelSetResolution.Store {
    final Map<String, LabelSet> live = new HashMap<>();

    @Override
    public LabelSet get(String id) {
        return live.get(id);
    }

    @Override
    public void put(String id, LabelSet set) {
        live.put(id, set);
    }
}
