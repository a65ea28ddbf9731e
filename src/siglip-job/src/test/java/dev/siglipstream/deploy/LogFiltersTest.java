package dev.siglipstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.testutils.TestData;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.properties.PropertiesConfigurationFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/log4j-siglip.properties, appended to a log4j configuration as the image appends it to
 * Flink's, drops exactly the known harmless lines and keeps everything else from the same loggers.
 */
class LogFiltersTest {
    private static final Path FILTERS = TestData.path("deploy/log4j-siglip.properties");

    @TempDir Path dir;

    @Test
    void theKnownHarmlessLinesAreDroppedAndTheSameLoggersOtherLinesKept() throws Exception {
        Path log = dir.resolve("flink.log");
        String base = """
                rootLogger.level = INFO
                rootLogger.appenderRef.file.ref = file
                appender.file.name = file
                appender.file.type = File
                appender.file.fileName = %s
                appender.file.layout.type = PatternLayout
                appender.file.layout.pattern = %%-5p %%c - %%m%%n
                """.formatted(log);
        String text = base + "\n" + Files.readString(FILTERS);
        LoggerContext ctx = new LoggerContext("log-filters-test");
        Configuration conf = new PropertiesConfigurationFactory().getConfiguration(ctx,
                new ConfigurationSource(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8))));
        ctx.start(conf);
        try {
            // the way Flink's AbstractMetricGroup words it
            Logger metrics = ctx.getLogger("org.apache.flink.metrics.MetricGroup");
            String collision = "Name collision: Group already contains a Metric with the name '{}'. Metric will not be reported.{}";
            metrics.warn(collision, "pendingCommittables", "[localhost, taskmanager, job, kafka-sink: Committer, 0]");
            metrics.warn(collision, "scored", "[localhost, taskmanager, job, score-images, 0]");
            // the way DJL's CudaUtils words it on a CPU host with libcudart
            Logger cuda = ctx.getLogger("ai.djl.util.cuda.CudaUtils");
            cuda.warn("Failed to detect GPU count: {} ({})", "CUDA driver version is insufficient for CUDA runtime version", 35);
            cuda.error("a CudaUtils error stays visible");
            ctx.getLogger("org.apache.flink.runtime.taskmanager.Task").warn("other warnings stay visible");
        } finally {
            ctx.stop();
        }
        String written = Files.readString(log);
        assertThat(written).doesNotContain("'pendingCommittables'", "CUDA driver version is insufficient");
        assertThat(written).contains("Metric with the name 'scored'", "a CudaUtils error stays visible", "other warnings stay visible");
    }
}
