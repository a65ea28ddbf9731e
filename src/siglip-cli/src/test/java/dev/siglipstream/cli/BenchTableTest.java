package dev.siglipstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BenchTableTest {

    private static TreeMap<Integer, Double> raw(double... byBatch) {
        int[] sizes = {1, 8, 16, 32, 64};
        TreeMap<Integer, Double> m = new TreeMap<>();
        for (int i = 0; i < byBatch.length; i++) m.put(sizes[i], byBatch[i]);
        return m;
    }

    @Test
    void theBestBatchSizeIsTheOneWithTheHighestRawFigure() {
        assertThat(BenchTable.best(raw(3.88, 3.65, 2.92, 2.93, 3.34)).getKey()).isEqualTo(1);
        assertThat(BenchTable.best(raw(1614, 5620, 9215, 10326, 10411)).getKey()).isEqualTo(64);
        assertThat(BenchTable.best(raw(3.52, 4.02, 4.15, 3.84, 3.13)).getKey()).isEqualTo(16);
        assertThat(BenchTable.best(raw(3.52, 4.02, 4.15, 3.84, 3.13)).getValue()).isEqualTo(4.15);
    }

    @Test
    void theJobRunsTheLayoutWithTheBestRawFigureOfAnyBatchSize() {
        var oneOnTwo = new BenchCommand.Layout(1, 2);
        var twoOnOne = new BenchCommand.Layout(2, 1);
        java.util.Map<BenchCommand.Layout, java.util.SortedMap<Integer, Double>> raw = new java.util.LinkedHashMap<>();
        raw.put(oneOnTwo, raw(3.1, 3.4, 3.3));
        raw.put(twoOnOne, raw(3.0, 3.6, 3.2));
        assertThat(BenchTable.bestLayout(raw)).isEqualTo(twoOnOne);
        raw.put(oneOnTwo, raw(3.1, 3.7, 3.3));
        assertThat(BenchTable.bestLayout(raw)).isEqualTo(oneOnTwo);
        assertThat(BenchTable.bestLayout(java.util.Map.of())).isNull();
        assertThat(twoOnOne.describe()).isEqualTo("2 at once x 1 thread");
        assertThat(new BenchCommand.Layout(1, 0).describe()).isEqualTo("1 at once x auto threads");
    }
}
