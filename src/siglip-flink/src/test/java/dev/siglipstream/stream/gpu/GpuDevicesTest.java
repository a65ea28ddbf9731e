package dev.siglipstream.stream.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.junit.jupiter.api.Test;

class GpuDevicesTest {

    /** What Flink's GPU driver hands an operator: one info per GPU with an {@code index} property. */
    private static final class FakeGpu implements ExternalResourceInfo {
        private final Map<String, String> properties;

        FakeGpu(Map<String, String> properties) {
            this.properties = properties;
        }

        static FakeGpu index(String index) {
            return new FakeGpu(Map.of("index", index));
        }

        @Override
        public Optional<String> getProperty(String key) {
            return Optional.ofNullable(properties.get(key));
        }

        @Override
        public Collection<String> getKeys() {
            return properties.keySet();
        }
    }

    private static Set<ExternalResourceInfo> gpus(ExternalResourceInfo... infos) {
        return new LinkedHashSet<>(List.of(infos));
    }

    private static List<Integer> forSubtasks(Set<ExternalResourceInfo> infos, int subtasks) {
        return IntStream.range(0, subtasks).mapToObj(s -> GpuDevices.deviceIndex(infos, s).orElse(-1)).toList();
    }

    @Test
    void subtasksSpreadRoundRobinOverTheTaskManagersGpus() {
        Set<ExternalResourceInfo> two = gpus(FakeGpu.index("0"), FakeGpu.index("1"));
        assertThat(forSubtasks(two, 5)).containsExactly(0, 1, 0, 1, 0);
        assertThat(GpuDevices.deviceIndex(two)).hasValue(0);
    }

    @Test
    void indexesAreSortedWhateverOrderTheDriverReports() {
        Set<ExternalResourceInfo> infos = gpus(FakeGpu.index("3"), FakeGpu.index(" 1 "), FakeGpu.index("2"));
        assertThat(GpuDevices.indices(infos)).containsExactly(1, 2, 3);
        assertThat(forSubtasks(infos, 4)).containsExactly(1, 2, 3, 1);
    }

    @Test
    void oneGpuServesEverySlot() {
        assertThat(forSubtasks(gpus(FakeGpu.index("0")), 3)).containsExactly(0, 0, 0);
    }

    @Test
    void noGpuResourceMeansNoDevice() {
        assertThat(GpuDevices.deviceIndex(Set.of(), 0)).isEmpty();
        assertThat(GpuDevices.deviceIndex(null, 2)).isEmpty();
        assertThat(GpuDevices.deviceIndex(Set.of())).isEqualTo(OptionalInt.empty());
    }

    @Test
    void infosWithoutAUsableIndexAreSkipped() {
        FakeGpu noIndex = new FakeGpu(Map.of("uuid", "GPU-1c2d"));
        assertThat(GpuDevices.deviceIndex(gpus(noIndex), 0)).isEmpty();
        assertThat(forSubtasks(gpus(noIndex, FakeGpu.index("2")), 2)).containsExactly(2, 2);
        // not a number, or negative: no device rather than a wrong one
        assertThat(GpuDevices.deviceIndex(gpus(FakeGpu.index("GPU-1c2d")), 0)).isEmpty();
        assertThat(GpuDevices.deviceIndex(gpus(FakeGpu.index("-1"), FakeGpu.index("4")), 0)).hasValue(4);
    }

    @Test
    void theSameIndexReportedTwiceCountsOnce() {
        Set<ExternalResourceInfo> infos = gpus(FakeGpu.index("0"), FakeGpu.index("0"), FakeGpu.index("1"));
        assertThat(infos).hasSize(3);
        assertThat(GpuDevices.indices(infos)).containsExactly(0, 1);
        assertThat(forSubtasks(infos, 3)).containsExactly(0, 1, 0);
    }

    @Test
    void aNegativeSubtaskIndexIsRejected() {
        assertThatThrownBy(() -> GpuDevices.deviceIndex(gpus(FakeGpu.index("0")), -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("subtaskIndex must be >= 0, got -1");
    }
}
