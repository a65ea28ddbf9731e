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

    static List<byte[]> read(List<Path> files) {
        List<byte[]> out = new ArrayList<>(files.size());
        for (Path f : files) out.add(read(f));
        return out;
    }
}
