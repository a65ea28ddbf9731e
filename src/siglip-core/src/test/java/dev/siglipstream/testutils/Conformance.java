package dev.siglipstream.testutils;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.siglipstream.siglip.internal.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The vendored conformance data (test resources, see its README.md): paths, cases.json and golden arrays. */
public final class Conformance {
    private static JsonNode cases;

    private Conformance() {}

    public static Path root() {
        return TestData.conformance();
    }

    public static Path tinyModel() {
        return root().resolve("models/siglip-tiny");
    }

    public static Path tinyClassifier() {
        return root().resolve("models/siglip-tiny-classifier");
    }

    public static Path image(String id) {
        for (JsonNode img : cases().get("images")) {
            if (img.get("id").asText().equals(id)) return root().resolve(img.get("path").asText());
        }
        throw new IllegalArgumentException("no conformance image " + id);
    }

    /** Image ids in cases.json order (= row order of the golden model arrays). */
    public static List<String> imageIds() {
        List<String> ids = new ArrayList<>();
        for (JsonNode img : cases().get("images")) ids.add(img.get("id").asText());
        return ids;
    }

    /** The texts in cases.json order (= row order of the golden text arrays). */
    public static List<String> texts() {
        List<String> out = new ArrayList<>();
        for (JsonNode t : cases().get("texts")) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode cp : t.get("text_codepoints")) sb.appendCodePoint(cp.asInt());
            out.add(sb.toString());
        }
        return out;
    }

    public static synchronized JsonNode cases() {
        if (cases == null) {
            try {
                cases = new ObjectMapper().readTree(root().resolve("cases.json").toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return cases;
    }

    public static Npy.Array golden(String relative) {
        try {
            return Npy.read(root().resolve("golden").resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A [rows, cols] float32 golden array as a matrix. */
    public static float[][] matrix(String relative) {
        Npy.Array a = golden(relative);
        float[] flat = a.floats();
        int rows = a.shape()[0];
        int cols = a.shape()[1];
        float[][] out = new float[rows][cols];
        for (int r = 0; r < rows; r++) System.arraycopy(flat, r * cols, out[r], 0, cols);
        return out;
    }

    /** The largest absolute element-wise difference; fails on a shape mismatch. */
    public static double maxAbsDiff(float[][] actual, float[][] expected) {
        if (actual.length != expected.length) {
            throw new AssertionError("rows: " + actual.length + " vs expected " + expected.length);
        }
        double max = 0;
        for (int r = 0; r < actual.length; r++) {
            if (actual[r].length != expected[r].length) {
                throw new AssertionError("row " + r + " cols: " + actual[r].length + " vs expected " + expected[r].length);
            }
            for (int c = 0; c < actual[r].length; c++) max = Math.max(max, Math.abs(actual[r][c] - expected[r][c]));
        }
        return max;
    }
}
