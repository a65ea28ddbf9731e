package dev.siglipstream.siglip.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes NumPy {@code .npy} files (format 1.0/2.0, C order, little-endian {@code <f4},
 * {@code <i8}, {@code |u1}), the exchange format of the command line and the conformance data.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    /** An array read from a file: its dtype descriptor, shape and raw little-endian data. */
    public record Array(String descr, int[] shape, ByteBuffer data) {
        public long size() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }

        public float[] floats() {
            require("<f4");
            float[] out = new float[(int) size()];
            data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }

        public long[] longs() {
            require("<i8");
            long[] out = new long[(int) size()];
            data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
            return out;
        }

        public byte[] bytes() {
            require("|u1");
            byte[] out = new byte[(int) size()];
            data.duplicate().get(out);
            return out;
        }

        private void require(String expected) {
            if (!descr.equals(expected)) {
                throw new IllegalStateException("npy dtype is " + descr + ", expected " + expected);
            }
        }
    }

    private Npy() {}

    public static Array read(Path file) throws IOException {
        return parse(Files.readAllBytes(file), file.toString());
    }

    public static Array parse(byte[] bytes, String name) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), MAGIC)) {
            throw new IOException(name + ": not a .npy file (magic \\x93NUMPY missing)");
        }
        int major = bytes[6];
        int headerLen;
        int offset;
        if (major == 1) {
            headerLen = Short.toUnsignedInt(buf.getShort(8));
            offset = 10;
        } else if (major == 2 || major == 3) {
            headerLen = buf.getInt(8);
            offset = 12;
        } else {
            throw new IOException(name + ": unsupported .npy version " + major);
        }
        String header = new String(bytes, offset, headerLen, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !s.find()) {
            throw new IOException(name + ": malformed .npy header: " + header.trim());
        }
        if (f.find() && f.group(1).equals("True")) {
            throw new IOException(name + ": Fortran-order .npy arrays are not supported");
        }
        String[] dims = s.group(1).split(",");
        int[] shape = Arrays.stream(dims).map(String::trim).filter(x -> !x.isEmpty())
                .mapToInt(Integer::parseInt).toArray();
        ByteBuffer data = ByteBuffer.wrap(bytes, offset + headerLen, bytes.length - offset - headerLen).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
        return new Array(d.group(1), shape, data);
    }

    public static void writeFloats(Path file, float[] values, int... shape) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(values);
        write(file, "<f4", shape, data.array());
    }

    public static void writeLongs(Path file, long[] values, int... shape) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        data.asLongBuffer().put(values);
        write(file, "<i8", shape, data.array());
    }

    public static void writeBytes(Path file, byte[] values, int... shape) throws IOException {
        write(file, "|u1", shape, values);
    }

    /** Writes a version 1.0 file whose header is padded so the data starts on a 64-byte boundary. */
    public static void write(Path file, String descr, int[] shape, byte[] data) throws IOException {
        long n = 1;
        for (int dim : shape) n *= dim;
        int itemSize = Integer.parseInt(descr.substring(2));
        if (n * itemSize != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n * itemSize
                    + " bytes of " + descr + ", got " + data.length);
        }
        StringBuilder dims = new StringBuilder();
        for (int dim : shape) dims.append(dim).append(", ");
        // numpy spells a 1-d shape "(3,)" and a 2-d one "(2, 3)"
        dims.setLength(Math.max(0, dims.length() - (shape.length == 1 ? 1 : 2)));
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer out = ByteBuffer.allocate(10 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
        out.put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Files.write(file, out.array());
    }
}
