package dev.siglipstream.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the bundled {@code bench/pillow_preprocess.py} (Pillow + NumPy doing transformers' steps) on
 * the bench JPEG with one thread, so {@code siglip bench} can print both sides from one run.
 */
final class PillowBaseline {
    /** Median per-image milliseconds of one step: process CPU time and wall time. */
    record Step(double cpuMs, double wallMs) {}

    /** What the script printed: its header line and each step (decode, resize, normalise, full). */
    record Result(String header, Map<String, Step> steps) {}

    private PillowBaseline() {}

    /**
     * Why the baseline cannot run with {@code python}, or null when it can: the interpreter must
     * exist and import PIL and numpy.
     */
    static String unavailable(Path python) {
        if (!Files.isExecutable(python)) {
            return python + " not found (install Debian's python3, python3-pil and python3-numpy)";
        }
        try {
            Process p = new ProcessBuilder(python.toString(), "-c", "import PIL, numpy")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return python + " did not answer 'import PIL, numpy' within 60 s";
            }
            if (p.exitValue() != 0) {
                String last = out.isEmpty() ? "exit " + p.exitValue() : out.substring(out.lastIndexOf('\n') + 1);
                return python + " cannot import PIL and numpy (" + last
                        + "; apt-get install python3-pil python3-numpy)";
            }
            return null;
        } catch (IOException e) {
            return python + " could not be started: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while probing " + python;
        }
    }

    /**
     * Runs the script on {@code jpeg} at {@code size}×{@code size}. One thread: OMP/OpenBLAS threads
     * pinned to 1; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed for this child only (they
     * slow a current NumPy).
     */
    static Result run(Path python, byte[] jpeg, int size, int runs, int perRun) throws IOException, InterruptedException {
        return run(python, jpeg, size, runs, perRun, "decode,resize,normalise,full,transformers_steps");
    }

    /** As above, timing only {@code steps} (comma-separated: decode, resize, normalise, full, draft, transformers_steps). */
    static Result run(Path python, byte[] jpeg, int size, int runs, int perRun, String steps)
            throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("siglip-bench-");
        try {
            Path script = dir.resolve("pillow_preprocess.py");
            Path image = dir.resolve("bench.jpg");
            try (InputStream in = PillowBaseline.class.getResourceAsStream("/bench/pillow_preprocess.py")) {
                if (in == null) throw new IOException("bundled /bench/pillow_preprocess.py is missing");
                Files.write(script, in.readAllBytes());
            }
            Files.write(image, jpeg);
            ProcessBuilder pb = new ProcessBuilder(python.toString(), script.toString(), image.toString(),
                    "--size", Integer.toString(size), "--runs", Integer.toString(runs),
                    "--per-run", Integer.toString(perRun), "--steps", steps).redirectErrorStream(true);
            Map<String, String> env = pb.environment();
            env.remove("OPENBLAS_CORETYPE");
            env.remove("OPENBLAS_L2_SIZE");
            env.put("OMP_NUM_THREADS", "1");
            env.put("OPENBLAS_NUM_THREADS", "1");
            env.put("MKL_NUM_THREADS", "1");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(600, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("the Pillow baseline did not finish within 600 s");
            }
            if (p.exitValue() != 0) {
                throw new IOException("the Pillow baseline failed (exit " + p.exitValue() + "): " + out.trim());
            }
            return parse(out);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        }
    }

    /** Parses {@code pillow <step> ms=<wall> cpu_ms=<cpu>} lines; the {@code pillow version=...} line is the header. */
    static Result parse(String out) throws IOException {
        String header = null;
        Map<String, Step> steps = new LinkedHashMap<>();
        List<String> other = new ArrayList<>();
        for (String line : out.split("\\R")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && f[0].equals("pillow") && f[1].startsWith("version=")) {
                header = line.trim();
            } else if (f.length == 4 && f[0].equals("pillow") && f[2].startsWith("ms=") && f[3].startsWith("cpu_ms=")) {
                steps.put(f[1], new Step(Double.parseDouble(f[3].substring(7)), Double.parseDouble(f[2].substring(3))));
            } else if (!line.isBlank()) {
                other.add(line);
            }
        }
        if (header == null || steps.isEmpty()) {
            throw new IOException("unexpected output from the Pillow baseline, expected 'pillow version=...' and "
                    + "'pillow full ms=... cpu_ms=...' lines, got: " + out.trim());
        }
        return new Result(header, steps);
    }
}
