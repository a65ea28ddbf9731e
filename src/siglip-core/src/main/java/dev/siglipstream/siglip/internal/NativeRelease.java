package dev.siglipstream.siglip.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandleProxies;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unpins a class loader that is being thrown away (a Flink user-code class loader on release) from what the
 * native libraries leave in JVM-wide places, so that it and its copies of the native libraries can be
 * collected:
 *
 * <ul>
 *   <li>ONNX Runtime registers a JVM shutdown hook ({@code OrtEnvironment$OrtEnvCloser}) when its environment is
 *       created. When ONNX Runtime was loaded by {@code loader} (it is in the job JAR), the hook is removed and run
 *       now: it frees that copy's environment. When ONNX Runtime is shared (in the cluster's {@code lib/}), the hook
 *       stays, but its thread's context class loader and inherited access-control context, both taken from the
 *       task thread that created the environment, are cleared, since they point at {@code loader}.</li>
 *   <li>Threads that outlive a job (a JVM-wide pool or timer first started from a task thread) inherit the task
 *       thread's context class loader; those whose context class loader is {@code loader} get the system class
 *       loader instead. Threads of {@code loader}'s own classes still alive are logged.</li>
 *   <li>Image I/O service providers of {@code loader}'s classes are deregistered from the JVM-wide registry.</li>
 * </ul>
 *
 * Needs {@code --add-opens java.base/java.lang=ALL-UNNAMED}, which Flink's JVMs have by default on Java 17;
 * without it, it logs a warning and does nothing.
 */
public final class NativeRelease {
    private static final Logger LOG = LoggerFactory.getLogger(NativeRelease.class);
    static final String ORT_CLOSER = "ai.onnxruntime.OrtEnvironment$OrtEnvCloser";

    private NativeRelease() {}

    /** Releases what pins {@code loader}; returns how many shutdown hooks were removed or cleared. */
    public static int release(ClassLoader loader) {
        if (isAncestorOrSelf(loader, ClassLoader.getSystemClassLoader())) {
            // The application's own libraries: they live as long as the JVM and are nobody's to release.
            return 0;
        }
        int changed = 0;
        List<Thread> hooks;
        try {
            hooks = shutdownHooks();
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("Cannot unpin class loader {} from ONNX Runtime's shutdown hook ({}); each redeploy into this JVM"
                    + " keeps one class loader. Run the JVM with --add-opens java.base/java.lang=ALL-UNNAMED.", loader, e.toString());
            hooks = List.of();
        }
        // Hook by hook: one that cannot be inspected must not keep the others (ONNX Runtime's among them) pinned.
        for (Thread hook : hooks) {
            try {
                Runnable target = (Runnable) field(Thread.class, "target").get(hook);
                if (target == null || !target.getClass().getName().equals(ORT_CLOSER)) {
                    continue;
                }
                if (target.getClass().getClassLoader() == loader) {
                    // This loader's own ONNX Runtime: free its environment now, nothing else can use it.
                    Runtime.getRuntime().removeShutdownHook(hook);
                    target.run();
                    changed++;
                } else if (clear(hook, loader, target.getClass().getClassLoader(), true)) {
                    changed++;
                }
            } catch (ReflectiveOperationException | RuntimeException e) {
                LOG.warn("Cannot unpin class loader {} from the shutdown hook '{}' ({}); each redeploy into this JVM"
                        + " keeps one class loader. Run the JVM with --add-opens java.base/java.lang=ALL-UNNAMED.",
                        loader, hook.getName(), e.toString());
            }
        }
        changed += threads(loader);
        changed += imageIoProviders(loader);
        return changed;
    }

    /**
     * Initialises Image I/O's JVM-wide state outside the caller's class loader. Its AppContext keeps the context
     * class loader of the thread that first touches it, and its service registry keeps, for every plugin, the
     * access-control context of the registering call: the protection domains of every class on that stack and of
     * the thread's inherited context. From a job's code, both would keep the job's class loader for the life of the
     * JVM (seen in a TaskManager heap dump: {@code ImageIO.theRegistry → SubRegistry.accMap → AccessControlContext →
     * ProtectionDomain → ChildFirstClassLoader}). So the registry is created on a thread of its own, with the system
     * class loader as context loader, no inherited access-control context, and a JDK-made {@code Runnable}: no class
     * of the caller's loader anywhere in the context that Image I/O keeps. (A common-pool task is not enough: a
     * caller that waits on it may run it itself, on its own stack.)
     */
    public static void initImageIoOutsideCallersLoader() {
        try {
            MethodHandle init = MethodHandles.publicLookup().findStatic(javax.imageio.spi.IIORegistry.class,
                    "getDefaultInstance", MethodType.methodType(javax.imageio.spi.IIORegistry.class));
            Runnable task = MethodHandleProxies.asInterfaceInstance(Runnable.class, init.asType(MethodType.methodType(void.class)));
            Thread thread = new Thread(null, task, "siglip-imageio-init", 0, false);
            thread.setContextClassLoader(ClassLoader.getSystemClassLoader());
            try {
                field(Thread.class, "inheritedAccessControlContext").set(thread, null);
            } catch (ReflectiveOperationException | RuntimeException e) {
                LOG.warn("Image I/O initialised with the caller's access-control context ({}): a job's class loader may be"
                        + " kept by it. Run the JVM with --add-opens java.base/java.lang=ALL-UNNAMED.", e.toString());
            }
            thread.setDaemon(true);
            thread.start();
            thread.join();
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("Image I/O initialised on the caller's thread ({}): a job's class loader may be kept by it", e.toString());
            javax.imageio.spi.IIORegistry.getDefaultInstance();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int threads(ClassLoader loader) {
        int changed = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t == Thread.currentThread()) {
                continue;
            }
            if (t.getClass().getClassLoader() == loader) {
                LOG.warn("Thread '{}' of the released class loader {} is still alive and keeps it", t.getName(), loader);
                continue;
            }
            try {
                if (clear(t, loader, ClassLoader.getSystemClassLoader(), false)) {
                    LOG.info("Thread '{}' referred to the released class loader (context class loader or inherited "
                            + "access-control context); cleared", t.getName());
                    changed++;
                }
            } catch (ReflectiveOperationException | RuntimeException e) {
                LOG.warn("Cannot clear thread '{}''s references to the released class loader {}: {}", t.getName(), loader, e.toString());
            }
        }
        return changed;
    }

    private static int imageIoProviders(ClassLoader loader) {
        javax.imageio.spi.IIORegistry registry = javax.imageio.spi.IIORegistry.getDefaultInstance();
        int changed = 0;
        for (java.util.Iterator<Class<?>> categories = registry.getCategories(); categories.hasNext(); ) {
            Class<?> category = categories.next();
            List<Object> own = new ArrayList<>();
            registry.getServiceProviders(category, false).forEachRemaining(p -> {
                if (p.getClass().getClassLoader() == loader) own.add(p);
            });
            for (Object p : own) {
                registry.deregisterServiceProvider(p);
                changed++;
            }
        }
        return changed;
    }

    private static boolean isAncestorOrSelf(ClassLoader candidate, ClassLoader of) {
        for (ClassLoader l = of; l != null; l = l.getParent()) {
            if (l == candidate) {
                return true;
            }
        }
        return candidate == null;
    }

    /**
     * Clears a thread's references to {@code loader}: its context class loader (set to {@code replacement}) and its
     * inherited access-control context; returns whether there were any.
     */
    private static boolean clear(Thread thread, ClassLoader loader, ClassLoader replacement, boolean dropUnreadable)
            throws ReflectiveOperationException {
        boolean pinned = false;
        ClassLoader ccl = thread.getContextClassLoader();
        if (ccl != null && isOrUses(ccl, loader)) {
            thread.setContextClassLoader(replacement);
            pinned = true;
        }
        Field acc = field(Thread.class, "inheritedAccessControlContext");
        Object context = acc.get(thread);
        // An unreadable context (java.security not opened) of a thread that only exists for the loader's sake
        // (ONNX Runtime's unstarted shutdown hook) is dropped: without a security manager it is never consulted.
        Boolean refers = context == null ? Boolean.FALSE : refersTo(context, loader);
        if (refers == null ? dropUnreadable && System.getSecurityManager() == null : refers) {
            acc.set(thread, null);
            pinned = true;
        }
        return pinned;
    }

    /** Whether {@code ccl} is {@code loader} or a wrapper of it (Flink's SafetyNetWrapperClassLoader). */
    private static boolean isOrUses(ClassLoader ccl, ClassLoader loader) {
        if (ccl == loader) {
            return true;
        }
        for (Class<?> c = ccl.getClass(); c != null && c != ClassLoader.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (ClassLoader.class.isAssignableFrom(f.getType()) && !java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
                    try {
                        f.setAccessible(true);
                        if (f.get(ccl) == loader) {
                            return true;
                        }
                    } catch (ReflectiveOperationException | RuntimeException e) {
                        // not readable: not a wrapper we know
                    }
                }
            }
        }
        return false;
    }

    /** Whether an AccessControlContext holds a protection domain of {@code loader}'s classes. */
    /** Whether it does; null when its domains cannot be read. */
    private static Boolean refersTo(Object context, ClassLoader loader) throws ReflectiveOperationException {
        Object[] domains;
        try {
            domains = (Object[]) field(context.getClass(), "context").get(context);
        } catch (RuntimeException notOpened) {
            // java.security is not opened to us (Flink's JVM options open java.lang but not java.security)
            return null;
        }
        if (domains == null) {
            return false;
        }
        for (Object pd : domains) {
            if (pd instanceof java.security.ProtectionDomain d && d.getClassLoader() != null
                    && (d.getClassLoader() == loader || isOrUses(d.getClassLoader(), loader))) {
                return true;
            }
        }
        return false;
    }

    @SuppressWarnings("unchecked")
    private static List<Thread> shutdownHooks() throws ReflectiveOperationException {
        Class<?> hooks = Class.forName("java.lang.ApplicationShutdownHooks");
        Map<Thread, Thread> map = (Map<Thread, Thread>) field(hooks, "hooks").get(null);
        synchronized (hooks) {
            return map == null ? List.of() : new ArrayList<>(map.keySet());
        }
    }

    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
        Field f = type.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }
}
