package dev.siglipstream.stream.job;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A stock Flink distribution: nothing added to lib/, the job JAR brings every library (deploy/README.md, mode 1).
 * Each redeploy into the same TaskManager loads the job's native libraries in a new user-code class loader.
 */
class PlainJarFlinkClusterITCase extends FlinkClusterScenarios {
    @Override
    String variant() {
        return "plain";
    }

    @Override
    List<Path> lib() {
        return List.of();
    }

    @Override
    Map<String, String> settings() {
        return Map.of();
    }
}
