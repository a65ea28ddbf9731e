package dev.siglipstream.cli;

import dev.siglipstream.siglip.image.ImageDecodeException;
import dev.siglipstream.siglip.image.ImageDecoder;
import dev.siglipstream.siglip.image.RgbImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Finds a report event's image (inline bytes by event id, a path, a {@code file:} URI, or a file in
 * {@code --images DIR} named by the event's file name or id) and turns it into a small JPEG data URI.
 * Images behind http(s) URIs are not fetched: the report is built offline.
 */
final class ReportThumbnails {
    private static final Pattern REMOTE = Pattern.compile("(?i)https?://.*");

    private final Map<String, byte[]> inline;
    private final Path imagesDir;
    private final int maxSide;
    private final ImageDecoder decoder = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS);
    private Map<String, Path> byStem;

    /**
     * @param inline encoded images by event id (from an images topic); may be empty
     * @param imagesDir where to look for images named by file name or event id; null for none
     * @param maxSide the thumbnails' longer side in pixels
     */
    ReportThumbnails(Map<String, byte[]> inline, Path imagesDir, int maxSide) {
        this.inline = inline;
        this.imagesDir = imagesDir;
        this.maxSide = maxSide;
    }

    /** A key that is the same for events showing the same image (so it is thumbnailed once); null if none is found. */
    synchronized String locate(ReportEvents.Event e) {
        if (inline.containsKey(e.id())) return "inline:" + e.id();
        Path p = path(e);
        return p == null ? null : p.toAbsolutePath().normalize().toString();
    }

    /** The image bytes behind a {@link #locate} key. */
    byte[] bytes(String key) throws IOException {
        return key.startsWith("inline:") ? inline.get(key.substring("inline:".length())) : Files.readAllBytes(Path.of(key));
    }

    private Path path(ReportEvents.Event e) {
        String ref = e.imageRef();
        if (ref != null && !REMOTE.matcher(ref).matches()) {
            Path p;
            try {
                p = ref.regionMatches(true, 0, "file:", 0, 5) ? Path.of(URI.create(ref)) : Path.of(ref);
            } catch (RuntimeException bad) {
                p = null;
            }
            if (p != null) {
                if (Files.isRegularFile(p)) return p;
                if (imagesDir != null) {
                    if (!p.isAbsolute() && Files.isRegularFile(imagesDir.resolve(p))) return imagesDir.resolve(p);
                    if (p.getFileName() != null && Files.isRegularFile(imagesDir.resolve(p.getFileName().toString()))) {
                        return imagesDir.resolve(p.getFileName().toString());
                    }
                }
            }
        }
        if (imagesDir == null) return null;
        Path byId = imagesDir.resolve(e.id().replace('/', '_'));
        if (Files.isRegularFile(byId)) return byId;
        return stems().get(e.id());
    }

    /** Files in the images folder by name without extension, for events whose id is the file's stem. */
    private Map<String, Path> stems() {
        if (byStem == null) {
            byStem = new HashMap<>();
            try (Stream<Path> files = Files.list(imagesDir)) {
                files.filter(Files::isRegularFile).forEach(f -> {
                    String name = f.getFileName().toString();
                    int dot = name.lastIndexOf('.');
                    byStem.putIfAbsent(dot > 0 ? name.substring(0, dot) : name, f);
                });
            } catch (IOException ex) {
                throw new IllegalArgumentException("cannot list --images " + imagesDir + ": " + ex.getMessage(), ex);
            }
        }
        return byStem;
    }

    /** Decodes, applies EXIF orientation, shrinks to at most {@code maxSide} by area averaging, encodes JPEG q0.8. */
    String dataUri(byte[] encoded) throws ImageDecodeException, IOException {
        RgbImage img = decoder.decode(encoded);
        BufferedImage small = shrink(img, maxSide);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(0.8f);
            writer.write(null, new IIOImage(small, null, null), param);
        } finally {
            writer.dispose();
        }
        return "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(bytes.toByteArray());
    }

    /** Box-filter (area-average) downscale; images already small enough are copied as they are. */
    static BufferedImage shrink(RgbImage img, int maxSide) {
        double scale = Math.min(1.0, (double) maxSide / Math.max(img.width(), img.height()));
        int w = Math.max(1, (int) Math.round(img.width() * scale));
        int h = Math.max(1, (int) Math.round(img.height() * scale));
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        byte[] rgb = img.rgb();
        for (int y = 0; y < h; y++) {
            int y0 = (int) ((long) y * img.height() / h);
            int y1 = Math.max(y0 + 1, (int) ((long) (y + 1) * img.height() / h));
            for (int x = 0; x < w; x++) {
                int x0 = (int) ((long) x * img.width() / w);
                int x1 = Math.max(x0 + 1, (int) ((long) (x + 1) * img.width() / w));
                long r = 0, g = 0, b = 0;
                for (int yy = y0; yy < y1; yy++) {
                    int row = yy * img.width();
                    for (int xx = x0; xx < x1; xx++) {
                        int i = (row + xx) * 3;
                        r += rgb[i] & 0xff;
                        g += rgb[i + 1] & 0xff;
                        b += rgb[i + 2] & 0xff;
                    }
                }
                long n = (long) (y1 - y0) * (x1 - x0);
                out.setRGB(x, y, (int) (r / n) << 16 | (int) (g / n) << 8 | (int) (b / n));
            }
        }
        return out;
    }

    /** A short description of where images are looked for, for messages. */
    String where() {
        return String.format(Locale.ROOT, "%s%s", inline.isEmpty() ? "" : inline.size() + " inline images, ",
                imagesDir == null ? "paths as given (add --images DIR to look in a folder)" : "paths as given and " + imagesDir);
    }
}
