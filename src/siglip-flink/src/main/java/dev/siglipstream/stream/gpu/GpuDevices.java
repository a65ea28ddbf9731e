package dev.siglipstream.stream.gpu;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;

/**
 * Picks the GPU a subtask runs on from Flink's external-resource framework
 * ({@code getRuntimeContext().getExternalResourceInfos("gpu")}, property {@code index}).
 *
 * <p>Flink gives every operator in a task manager the same set of GPUs, so subtasks spread over
 * them by subtask index modulo the number of GPUs; subtasks that land on the same GPU share one
 * model session.
 *
 * <pre>{@code
 * OptionalInt gpu = GpuDevices.deviceIndex(ctx.getExternalResourceInfos("gpu"), subtaskIndex);
 * }</pre>
 */
public final class GpuDevices {
    /** The external-resource name the job reads. */
    public static final String RESOURCE_NAME = "gpu";
    /** The property of a GPU resource that holds its device index. */
    public static final String INDEX_PROPERTY = "index";

    private GpuDevices() {}

    /** The first GPU's index (for one-subtask callers); empty when there is no GPU resource. */
    public static OptionalInt deviceIndex(Set<ExternalResourceInfo> infos) {
        return deviceIndex(infos, 0);
    }

    /**
     * The index of the GPU for subtask {@code subtaskIndex}: the resources' indices sorted
     * ascending, picked by {@code subtaskIndex % count}. Empty when {@code infos} is null, empty, or
     * has no parseable {@code index} property.
     *
     * @throws IllegalArgumentException when {@code subtaskIndex} is negative
     */
    public static OptionalInt deviceIndex(Set<ExternalResourceInfo> infos, int subtaskIndex) {
        if (subtaskIndex < 0) {
            throw new IllegalArgumentException("subtaskIndex must be >= 0, got " + subtaskIndex);
        }
        List<Integer> indices = indices(infos);
        if (indices.isEmpty()) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(indices.get(subtaskIndex % indices.size()));
    }

    /** All parseable GPU indices, ascending and without duplicates. */
    public static List<Integer> indices(Set<ExternalResourceInfo> infos) {
        List<Integer> out = new ArrayList<>();
        if (infos == null) {
            return out;
        }
        for (ExternalResourceInfo info : infos) {
            Optional<String> index = info.getProperty(INDEX_PROPERTY);
            if (index.isPresent()) {
                try {
                    int i = Integer.parseInt(index.get().trim());
                    if (i >= 0 && !out.contains(i)) {
                        out.add(i);
                    }
                } catch (NumberFormatException ignored) {
                    // A driver that reports no numeric index gives no usable device.
                }
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }
}
