package dev.siglipstream.siglip.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtEnvironment;
import dev.siglipstream.siglip.onnx.OnnxGraph;
import java.lang.ref.WeakReference;
import java.lang.reflect.Field;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A class loader with its own ONNX Runtime (a job JAR's, in a Flink user-code class loader) can be collected once
 * {@link NativeRelease} has run; the application's own ONNX Runtime is left alone.
 */
class NativeReleaseTest {

    @Test
    void aLoadersOwnOnnxRuntimeIsFreedAndTheLoaderCollected() throws Exception {
        URL ortJar = OrtEnvironment.class.getProtectionDomain().getCodeSource().getLocation();
        URLClassLoader isolated = new URLClassLoader(new URL[] {ortJar}, ClassLoader.getPlatformClassLoader());
        Class.forName("ai.onnxruntime.OrtEnvironment", true, isolated).getMethod("getEnvironment").invoke(null);
        assertThat(ortHooksOf(isolated)).as("ONNX Runtime's shutdown hook pins the loader").isEqualTo(1);

        // At least its ONNX Runtime hook; in a busy JVM a thread or two may refer to the loader as well (also cleared).
        assertThat(NativeRelease.release(isolated)).isGreaterThanOrEqualTo(1);
        assertThat(ortHooksOf(isolated)).isZero();

        WeakReference<ClassLoader> ref = new WeakReference<>(isolated);
        isolated.close();
        isolated = null;
        for (int i = 0; i < 50 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(100);
        }
        assertThat(ref.get()).as("the released class loader is collected").isNull();
    }

    @Test
    void theApplicationsOwnOnnxRuntimeIsLeftAlone() throws Exception {
        OnnxGraph.environment();
        int before = ortHooksOf(OrtEnvironment.class.getClassLoader());
        assertThat(NativeRelease.release(NativeReleaseTest.class.getClassLoader())).isZero();
        assertThat(ortHooksOf(OrtEnvironment.class.getClassLoader())).isEqualTo(before).isEqualTo(1);
    }

    private static int ortHooksOf(ClassLoader loader) throws Exception {
        Field target = Thread.class.getDeclaredField("target");
        target.setAccessible(true);
        int n = 0;
        for (Thread hook : hooks().keySet()) {
            Object r = target.get(hook);
            if (r != null && r.getClass().getName().equals(NativeRelease.ORT_CLOSER) && r.getClass().getClassLoader() == loader) {
                n++;
            }
        }
        return n;
    }

    @SuppressWarnings("unchecked")
    private static Map<Thread, Thread> hooks() throws Exception {
        Field f = Class.forName("java.lang.ApplicationShutdownHooks").getDeclaredField("hooks");
        f.setAccessible(true);
        return (Map<Thread, Thread>) f.get(null);
    }
}
