package dev.siglipstream.stream;

import dev.siglipstream.stream.model.EmbeddingModel;
import dev.siglipstream.stream.model.ImageRejectedException;
import dev.siglipstream.stream.model.ModelLoader;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.FloatBuffer;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A deterministic stand-in for the SigLIP model in unit tests: decodes with ImageIO, "embeds" the
 * mean colour, and embeds texts by hashing. Scores mean nothing; they are only reproducible.
 */
public class FakeModel implements EmbeddingModel {
    static final int SIZE = 4;
    static final int DIM = 3;

    /** Loads a fresh fake. */
    public static ModelLoader loader() {
        return spec -> new FakeModel();
    }

    @Override
    public String modelId() {
        return "fake";
    }

    @Override
    public int imageHeight() {
        return SIZE;
    }

    @Override
    public int imageWidth() {
        return SIZE;
    }

    @Override
    public int embeddingDim() {
        return DIM;
    }

    @Override
    public void preprocess(byte[] encoded, FloatBuffer dst) throws ImageRejectedException {
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(encoded));
        } catch (Exception e) {
            throw new ImageRejectedException(ImageRejectedException.Reason.UNDECODABLE_IMAGE, e.toString(), e);
        }
        if (img == null) {
            throw new ImageRejectedException(ImageRejectedException.Reason.UNDECODABLE_IMAGE, "not an image", null);
        }
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < SIZE * SIZE; i++) {
                int rgb = img.getRGB(i % Math.min(SIZE, img.getWidth()), (i / SIZE) % Math.min(SIZE, img.getHeight()));
                dst.put(((rgb >> (16 - 8 * c)) & 0xff) / 255f);
            }
        }
    }

    @Override
    public float[][] imageEmbeddings(FloatBuffer pixels, int count) {
        float[][] out = new float[count][DIM];
        int per = 3 * SIZE * SIZE;
        for (int n = 0; n < count; n++) {
            for (int c = 0; c < 3; c++) {
                float sum = 0;
                for (int i = 0; i < SIZE * SIZE; i++) {
                    sum += pixels.get(n * per + c * SIZE * SIZE + i);
                }
                out[n][c] = sum + 0.01f;
            }
            normalise(out[n]);
        }
        return out;
    }

    @Override
    public float[][] textEmbeddings(List<String> texts) {
        float[][] out = new float[texts.size()][DIM];
        for (int i = 0; i < texts.size(); i++) {
            int h = texts.get(i).hashCode();
            out[i] = new float[] {(h & 0xff) + 1, ((h >> 8) & 0xff) + 1, ((h >> 16) & 0xff) + 1};
            normalise(out[i]);
        }
        return out;
    }

    @Override
    public float[][] probabilities(float[][] images, float[][] texts) {
        float[][] out = new float[images.length][texts.length];
        for (int i = 0; i < images.length; i++) {
            for (int j = 0; j < texts.length; j++) {
                float dot = 0;
                for (int d = 0; d < DIM; d++) {
                    dot += images[i][d] * texts[j][d];
                }
                out[i][j] = (float) (1 / (1 + Math.exp(-(10 * dot - 5))));
            }
        }
        return out;
    }

    private static void normalise(float[] v) {
        double n = 0;
        for (float f : v) {
            n += f * f;
        }
        n = Math.sqrt(n);
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) n;
        }
    }

    @Override
    public String provider() {
        return "CPU";
    }

    @Override
    public boolean cpuFallback() {
        return false;
    }

    @Override
    public void close() {}
}
