package dev.siglipstream.siglip.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded ONNX graph: the {@link OrtSession}, the provider it actually runs on, and its declared
 * input and output names. Owns the session: {@link #close()} frees it. {@code run} is safe to call
 * from several threads at once (ONNX Runtime sessions are).
 */
public final class OnnxGraph implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxGraph.class);

    private final Path file;
    private final OrtSession session;
    private final ExecutionProvider provider;
    private final ExecutionProvider requested;
    private final Set<String> inputs;
    private final Set<String> outputs;
    private final java.util.concurrent.locks.ReadWriteLock lifecycle = new java.util.concurrent.locks.ReentrantReadWriteLock();
    private boolean closed;

    private OnnxGraph(Path file, OrtSession session, ExecutionProvider provider, ExecutionProvider requested)
            throws OrtException {
        this.file = file;
        this.session = session;
        this.provider = provider;
        this.requested = requested;
        this.inputs = new TreeSet<>(session.getInputNames());
        this.outputs = new TreeSet<>(session.getOutputNames());
    }

    /**
     * The process-wide ONNX Runtime environment (one per copy of ONNX Runtime in the JVM, closed by its shutdown
     * hook). Created under ONNX Runtime's own class loader as the thread's context class loader: the shutdown
     * hook's thread inherits it, and a Flink user-code class loader there would be kept alive for the life of the
     * JVM when ONNX Runtime is shared in the cluster's lib/.
     */
    public static OrtEnvironment environment() {
        Thread thread = Thread.currentThread();
        ClassLoader context = thread.getContextClassLoader();
        thread.setContextClassLoader(OrtEnvironment.class.getClassLoader());
        try {
            return OrtEnvironment.getEnvironment();
        } finally {
            thread.setContextClassLoader(context);
        }
    }

    /**
     * Loads {@code file} with {@code options}. When a GPU provider was asked for and cannot be added
     * or cannot start (no GPU-enabled ONNX Runtime, missing CUDA/cuDNN libraries, no visible device),
     * this fails with a message naming what is missing — unless {@link OnnxOptions#allowCpuFallback()},
     * in which case it logs a warning and the graph reports {@link ExecutionProvider#CPU} and
     * {@link #fellBackToCpu()}. A model file that does not load on CPU either still fails.
     */
    public static OnnxGraph open(Path file, OnnxOptions options) {
        if (!Files.isRegularFile(file)) {
            throw new OnnxModelException("model file not found: " + file);
        }
        if (!options.provider().isGpu()) {
            return openOn(file, options, ExecutionProvider.CPU);
        }
        try {
            return openOn(file, options, options.provider());
        } catch (GpuUnavailable gpuMissing) {
            if (!options.allowCpuFallback()) throw gpuMissing;
            LOG.warn("{}; falling back to CPU because CPU fallback is allowed", gpuMissing.getMessage());
            OnnxOptions cpu = options.toBuilder().provider(ExecutionProvider.CPU).build();
            return openOn(file, cpu, options.provider());
        }
    }

    private static OnnxGraph openOn(Path file, OnnxOptions options, ExecutionProvider requested) {
        OrtSession.SessionOptions so = null;
        try {
            try {
                so = SessionOptionsFactory.create(options);
            } catch (OnnxModelException providerMissing) {
                if (options.provider().isGpu()) throw new GpuUnavailable(providerMissing);
                throw providerMissing;
            }
            OrtSession session;
            try {
                session = environment().createSession(file.toString(), so);
            } catch (OrtException e) {
                if (!options.provider().isGpu()) throw e;
                // With onnxruntime_gpu and its CUDA libraries present but no usable device, adding the
                // provider succeeds and the failure only surfaces here, when the provider is created.
                throw new GpuUnavailable(new OnnxModelException("cannot load ONNX model " + file + " on the "
                        + options.provider().name().toLowerCase(Locale.ROOT) + " execution provider, device "
                        + options.deviceId() + " (needs a visible NVIDIA GPU with its driver, and the CUDA 12 / "
                        + "cuDNN 9 runtime libraries on the library path): " + e.getMessage(), e));
            }
            try {
                return new OnnxGraph(file, session, options.provider(), requested);
            } catch (OrtException | RuntimeException e) {
                try {
                    session.close();
                } catch (OrtException closing) {
                    e.addSuppressed(closing);
                }
                throw e;
            }
        } catch (OrtException e) {
            throw new OnnxModelException("cannot load ONNX model " + file + ": " + e.getMessage(), e);
        } finally {
            if (so != null) so.close();
        }
    }

    /** A GPU provider that was asked for and cannot run here; the only failure CPU fallback applies to. */
    private static final class GpuUnavailable extends OnnxModelException {
        GpuUnavailable(OnnxModelException cause) {
            super(cause.getMessage(), cause.getCause() != null ? cause.getCause() : cause);
        }
    }

    /** Fails, naming the graph's actual inputs, unless every name in {@code required} is an input. */
    public OnnxGraph requireInputs(String... required) {
        for (String name : required) {
            if (!inputs.contains(name)) {
                throw new OnnxModelException(file + ": expected an input named '" + name
                        + "', the graph's inputs are " + inputs);
            }
        }
        return this;
    }

    /** Fails, naming the graph's actual outputs, unless every name in {@code required} is an output. */
    public OnnxGraph requireOutputs(String... required) {
        for (String name : required) {
            if (!outputs.contains(name)) {
                throw new OnnxModelException(file + ": expected an output named '" + name
                        + "', the graph's outputs are " + outputs);
            }
        }
        return this;
    }

    /** Fails unless the inputs are exactly {@code allowed} minus any of {@code optional} that are absent. */
    public OnnxGraph requireNoOtherInputs(Set<String> allowed) {
        for (String name : inputs) {
            if (!allowed.contains(name)) {
                throw new OnnxModelException(file + ": unexpected input '" + name + "', expected only " + allowed);
            }
        }
        return this;
    }

    public boolean hasInput(String name) {
        return inputs.contains(name);
    }

    public Set<String> inputNames() {
        return inputs;
    }

    public Set<String> outputNames() {
        return outputs;
    }

    public Map<String, NodeInfo> inputInfo() {
        try {
            return session.getInputInfo();
        } catch (OrtException e) {
            throw new OnnxModelException(file + ": cannot read input info: " + e.getMessage(), e);
        }
    }

    /** The raw session, for callers that need ONNX Runtime's full API; prefer {@link #run}, which is close-safe. */
    public OrtSession session() {
        return session;
    }

    /** The provider the graph actually runs on. */
    public ExecutionProvider provider() {
        return provider;
    }

    /** The provider the options asked for; differs from {@link #provider()} only after a CPU fallback. */
    public ExecutionProvider requestedProvider() {
        return requested;
    }

    /** True when a GPU provider was asked for, could not load, and fallback put the graph on CPU (for a metric). */
    public boolean fellBackToCpu() {
        return requested != provider;
    }

    public Path file() {
        return file;
    }

    /**
     * Runs the graph. Safe from several threads at once; {@link #close()} waits for runs in flight,
     * and a run after close fails cleanly instead of touching freed native memory.
     */
    public OrtSession.Result run(Map<String, ? extends ai.onnxruntime.OnnxTensorLike> inputs, Set<String> outputs)
            throws OrtException {
        lifecycle.readLock().lock();
        try {
            if (closed) throw new IllegalStateException(file + ": the ONNX session is closed");
            return session.run(inputs, outputs);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Frees the session once every run in flight has returned; later runs fail with IllegalStateException. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            session.close();
        } catch (OrtException e) {
            LOG.warn("closing {} failed: {}", file, e.getMessage());
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
