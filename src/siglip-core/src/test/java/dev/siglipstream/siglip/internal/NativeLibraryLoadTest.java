package dev.siglipstream.siglip.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A class loader whose DJL native library is held by another, live class loader (a job's redeploy into a JVM that
 * still holds the first job's loader) loads a copy of its own, and leaves no copy on disk.
 */
class NativeLibraryLoadTest {

    @Test
    void aLibraryHeldByAnotherLoaderIsLoadedFromACopyOfItsOwn() throws Exception {
        // This class's loader holds SentencePiece at DJL's fixed path, as a first job's loader would.
        NativeLibraryLoad.load("SentencePiece", ai.djl.sentencepiece.jni.LibUtils::loadLibrary);
        String before = System.getProperty(NativeLibraryLoad.ENGINE_CACHE_DIR);
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        long copiesBefore = copies(tmp);

        URL[] jars = Stream.of(ai.djl.sentencepiece.SpProcessor.class, ai.djl.util.Utils.class, org.slf4j.Logger.class,
                        com.google.gson.Gson.class, com.sun.jna.Native.class)
                .map(c -> c.getProtectionDomain().getCodeSource().getLocation()).toArray(URL[]::new);
        try (URLClassLoader job = new URLClassLoader(jars, ClassLoader.getPlatformClassLoader())) {
            Class<?> libUtils = Class.forName("ai.djl.sentencepiece.jni.LibUtils", false, job);
            NativeLibraryLoad.load("SentencePiece", () -> {
                try {
                    libUtils.getMethod("loadLibrary").invoke(null);
                    Class.forName("ai.djl.sentencepiece.SpProcessor", true, job);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    if (e.getCause() instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(e.getCause());
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }, Duration.ofMillis(500));

            // the job's own copy answers native calls
            Class<?> lib = Class.forName("ai.djl.sentencepiece.jni.SentencePieceLibrary", true, job);
            Object instance = lib.getField("LIB").get(null);
            long handle = (long) lib.getMethod("createSentencePieceProcessor").invoke(instance);
            assertThat(handle).isNotZero();
            lib.getMethod("deleteSentencePieceProcessor", long.class).invoke(instance, handle);
        }
        assertThat(System.getProperty(NativeLibraryLoad.ENGINE_CACHE_DIR)).as("DJL's setting restored").isEqualTo(before);
        assertThat(copies(tmp)).as("the copy is deleted once loaded").isEqualTo(copiesBefore);
    }

    private static long copies(Path tmp) throws java.io.IOException {
        try (Stream<Path> files = Files.list(tmp)) {
            return files.filter(f -> f.getFileName().toString().startsWith("siglip-sentencepiece-")).count();
        }
    }
}
