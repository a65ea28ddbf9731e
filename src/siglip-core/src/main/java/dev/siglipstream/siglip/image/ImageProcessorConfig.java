package dev.siglipstream.siglip.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The settings of transformers' {@code SiglipImageProcessor}, as read from a checkpoint's
 * {@code preprocessor_config.json}; keys the file omits take the processor's own defaults (224×224,
 * bicubic, rescale 1/255, mean = std = 0.5).
 *
 * <p>{@code resample} is Pillow's filter number: 3 (bicubic, what every SigLIP checkpoint uses)
 * and 2 (bilinear) are supported.
 */
public record ImageProcessorConfig(
        int height,
        int width,
        boolean doResize,
        boolean doRescale,
        double rescaleFactor,
        boolean doNormalize,
        float[] imageMean,
        float[] imageStd,
        int resample) {

    /** Pillow's {@code Image.BILINEAR}. */
    public static final int RESAMPLE_BILINEAR = 2;
    /** Pillow's {@code Image.BICUBIC}, SigLIP's filter. */
    public static final int RESAMPLE_BICUBIC = 3;

    private static final double DEFAULT_RESCALE = 1.0 / 255.0;
    private static final ObjectMapper JSON = new ObjectMapper();

    public ImageProcessorConfig {
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException(
                    "image size must be positive, got height " + height + ", width " + width);
        }
        imageMean = checkTriple("image_mean", imageMean);
        imageStd = checkTriple("image_std", imageStd);
        for (float s : imageStd) {
            if (s == 0f || !Float.isFinite(s)) {
                throw new IllegalArgumentException(
                        "image_std must be finite and non-zero, got " + Arrays.toString(imageStd));
            }
        }
        if (resample != RESAMPLE_BICUBIC && resample != RESAMPLE_BILINEAR) {
            throw new IllegalArgumentException("resample " + resample
                    + " is not supported; expected 3 (bicubic) or 2 (bilinear)");
        }
        if (!Double.isFinite(rescaleFactor)) {
            throw new IllegalArgumentException("rescale_factor must be finite, got " + rescaleFactor);
        }
    }

    /** transformers' {@code SiglipImageProcessor()} defaults: 224×224 bicubic, 1/255, mean = std = 0.5. */
    public static ImageProcessorConfig defaults() {
        return new ImageProcessorConfig(224, 224, true, true, DEFAULT_RESCALE, true,
                new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.5f, 0.5f, 0.5f}, RESAMPLE_BICUBIC);
    }

    /** This configuration with another output size. */
    public ImageProcessorConfig withSize(int height, int width) {
        return new ImageProcessorConfig(height, width, doResize, doRescale, rescaleFactor,
                doNormalize, imageMean, imageStd, resample);
    }

    /**
     * Reads a {@code preprocessor_config.json}.
     *
     * @throws IllegalArgumentException naming the file and field when the file is not valid JSON or
     *     a field has the wrong type or value
     * @throws UncheckedIOException when the file cannot be read
     */
    public static ImageProcessorConfig load(Path preprocessorConfigJson) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(preprocessorConfigJson));
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException(preprocessorConfigJson + ": file not found", e);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException(
                    preprocessorConfigJson + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(preprocessorConfigJson + ": cannot read: " + e, e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(
                    preprocessorConfigJson + ": expected a JSON object at the top level");
        }
        Fields f = new Fields(preprocessorConfigJson, root);
        ImageProcessorConfig d = defaults();
        int height = d.height;
        int width = d.width;
        JsonNode size = root.get("size");
        if (size != null && !size.isNull()) {
            if (!size.isObject() || !size.has("height") || !size.has("width")) {
                throw new IllegalArgumentException(preprocessorConfigJson
                        + ": field 'size' must be {\"height\": H, \"width\": W}, got " + size);
            }
            height = f.positiveInt(size.get("height"), "size.height");
            width = f.positiveInt(size.get("width"), "size.width");
        }
        try {
            return new ImageProcessorConfig(
                    height,
                    width,
                    f.bool("do_resize", d.doResize),
                    f.bool("do_rescale", d.doRescale),
                    f.number("rescale_factor", d.rescaleFactor),
                    f.bool("do_normalize", d.doNormalize),
                    f.triple("image_mean", d.imageMean),
                    f.triple("image_std", d.imageStd),
                    f.integer("resample", d.resample));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(preprocessorConfigJson.toString())) {
                throw e;
            }
            throw new IllegalArgumentException(preprocessorConfigJson + ": " + e.getMessage(), e);
        }
    }

    private static float[] checkTriple(String name, float[] values) {
        if (values == null || values.length != 3) {
            throw new IllegalArgumentException(name + " must have 3 values (R, G, B), got "
                    + (values == null ? "null" : Arrays.toString(values)));
        }
        return values.clone();
    }

    @Override
    public float[] imageMean() {
        return imageMean.clone();
    }

    @Override
    public float[] imageStd() {
        return imageStd.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageProcessorConfig c
                && height == c.height && width == c.width && doResize == c.doResize
                && doRescale == c.doRescale && Double.compare(rescaleFactor, c.rescaleFactor) == 0
                && doNormalize == c.doNormalize && Arrays.equals(imageMean, c.imageMean)
                && Arrays.equals(imageStd, c.imageStd) && resample == c.resample;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(height, width, doResize, doRescale, rescaleFactor, doNormalize,
                Arrays.hashCode(imageMean), Arrays.hashCode(imageStd), resample);
    }

    @Override
    public String toString() {
        return "ImageProcessorConfig[height=" + height + ", width=" + width + ", doResize=" + doResize
                + ", doRescale=" + doRescale + ", rescaleFactor=" + rescaleFactor
                + ", doNormalize=" + doNormalize + ", imageMean=" + Arrays.toString(imageMean)
                + ", imageStd=" + Arrays.toString(imageStd) + ", resample=" + resample + "]";
    }

    /** Typed access to the optional top-level fields, with errors that name file and field. */
    private record Fields(Path file, JsonNode root) {
        private JsonNode present(String name) {
            JsonNode n = root.get(name);
            return n == null || n.isNull() ? null : n;
        }

        private IllegalArgumentException bad(String name, String expected, JsonNode got) {
            return new IllegalArgumentException(
                    file + ": field '" + name + "' must be " + expected + ", got " + got);
        }

        boolean bool(String name, boolean dflt) {
            JsonNode n = present(name);
            if (n == null) return dflt;
            if (!n.isBoolean()) throw bad(name, "true or false", n);
            return n.booleanValue();
        }

        double number(String name, double dflt) {
            JsonNode n = present(name);
            if (n == null) return dflt;
            if (!n.isNumber()) throw bad(name, "a number", n);
            return n.doubleValue();
        }

        int integer(String name, int dflt) {
            JsonNode n = present(name);
            if (n == null) return dflt;
            if (!n.isIntegralNumber() || !n.canConvertToInt()) throw bad(name, "an integer", n);
            return n.intValue();
        }

        int positiveInt(JsonNode n, String name) {
            if (n == null || !n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() <= 0) {
                throw bad(name, "a positive integer", n);
            }
            return n.intValue();
        }

        /** A number (applied to all channels, as transformers allows) or a list of 3 numbers. */
        float[] triple(String name, float[] dflt) {
            JsonNode n = present(name);
            if (n == null) return dflt;
            if (n.isNumber()) {
                float v = n.floatValue();
                return new float[] {v, v, v};
            }
            if (!n.isArray() || n.size() != 3) throw bad(name, "a number or a list of 3 numbers", n);
            float[] out = new float[3];
            for (int i = 0; i < 3; i++) {
                if (!n.get(i).isNumber()) throw bad(name, "a list of 3 numbers", n);
                // transformers casts mean/std to the image dtype (float32) before use.
                out[i] = (float) n.get(i).doubleValue();
            }
            return out;
        }
    }
}
