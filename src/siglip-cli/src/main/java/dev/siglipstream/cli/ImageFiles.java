package dev.siglipstream.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads image files named on the command line, with errors that name the file. */
final class ImageFiles {
    private ImageFiles() {}

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("image file not found: " + file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read image " + file + ": " + e.getMessage(), e);
        }
    }

    /** Image file name endings a folder is searched for (what the decoders read). */
    static final List<String> EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp");

    /**
     * {@code paths} with each folder replaced by the image files in it and its sub-folders (by
     * {@link #EXTENSIONS}, hidden files skipped, sorted); files are kept as given.
     */
    static List<Path> expand(List<Path> paths) {
        List<Path> out = new ArrayList<>();
        for (Path p : paths) {
            if (!Files.isDirectory(p)) {
                out.add(p);
                continue;
            }
            try (java.util.stream.Stream<Path> files = Files.walk(p)) {
                files.filter(Files::isRegularFile).filter(ImageFiles::isImageName).sorted().forEach(out::add);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot list " + p + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static boolean isImageName(Path file) {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return !name.startsWith(".") && EXTENSIONS.stream().anyMatch(name::endsWith);
    }

    static List<byte[]> read(List<Path> files) {
        List<byte[]> out = new ArrayList<>(files.size());
        for (Path f : files) out.add(read(f));
        return out;
    }
}
