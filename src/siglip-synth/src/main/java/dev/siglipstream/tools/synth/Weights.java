package dev.siglipstream.tools.synth;

import com.google.protobuf.CodedOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Seeded random weights, initialised the way transformers' {@code SiglipPreTrainedModel._init_weights}
 * does. Each tensor draws from its own stream, derived from the seed and the parameter's name, so a
 * parameter has the same values in every graph that contains it (split towers, combined model, fp16
 * and int8 variants) and is regenerated at write time instead of being kept in memory.
 */
final class Weights {
    private Weights() {}

    /** How a parameter is initialised; {@code a} is the std, the bound or the constant. */
    enum Init {
        /** Normal(0, a). */
        NORMAL,
        /** A standard normal truncated to [-2, 2], times a (transformers' {@code lecun_normal_}). */
        TRUNC_NORMAL,
        /** Uniform(-a, a) (xavier uniform with a = sqrt(6 / (fan_in + fan_out))). */
        UNIFORM,
        /** Every element equal to a. */
        CONSTANT
    }

    /** One parameter: its logical name (the stream's identity), shape and initialisation. */
    record Spec(String key, long[] dims, Init init, double a) {
        long count() {
            long n = 1;
            for (long d : dims) n *= d;
            return n;
        }

        boolean isConstant() {
            return init == Init.CONSTANT;
        }

        /** The values, in row-major order of {@code dims}. */
        float[] generate(long seed) {
            long n = count();
            if (n > Integer.MAX_VALUE) throw new IllegalArgumentException(key + ": too large (" + n + ")");
            float[] out = new float[(int) n];
            if (init == Init.CONSTANT) {
                java.util.Arrays.fill(out, (float) a);
                return out;
            }
            SplittableRandom rnd = new SplittableRandom(streamSeed(seed, key));
            for (int i = 0; i < out.length; i++) {
                double v = switch (init) {
                    case NORMAL -> rnd.nextGaussian() * a;
                    case TRUNC_NORMAL -> truncatedGaussian(rnd) * a;
                    case UNIFORM -> (rnd.nextDouble() * 2 - 1) * a;
                    case CONSTANT -> a;
                };
                out[i] = (float) v;
            }
            return out;
        }
    }

    static Spec normal(String key, double std, long... dims) {
        return new Spec(key, dims, Init.NORMAL, std);
    }

    /** transformers' {@code lecun_normal_}: truncated normal with variance 1/fan_in. */
    static Spec lecunNormal(String key, long fanIn, long... dims) {
        return new Spec(key, dims, Init.TRUNC_NORMAL, Math.sqrt(1.0 / fanIn) / 0.8796256610342398);
    }

    static Spec xavierUniform(String key, long fanIn, long fanOut, double gain, long... dims) {
        return new Spec(key, dims, Init.UNIFORM, gain * Math.sqrt(6.0 / (fanIn + fanOut)));
    }

    static Spec constant(String key, double value, long... dims) {
        return new Spec(key, dims, Init.CONSTANT, value);
    }

    private static double truncatedGaussian(SplittableRandom rnd) {
        while (true) {
            double g = rnd.nextGaussian();
            if (g >= -2 && g <= 2) return g;
        }
    }

    /** FNV-1a of the name, mixed with the seed: stable across runs and JVMs. */
    static long streamSeed(long seed, String key) {
        long h = 0xcbf29ce484222325L;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h ^ (seed * 0x9E3779B97F4A7C15L);
    }

    /** float32 little-endian data, generated when written. */
    static Onnx.TensorData float32(Spec spec, long seed) {
        return new Onnx.TensorData() {
            @Override
            public long byteSize() {
                return spec.count() * 4;
            }

            @Override
            public void writeTo(CodedOutputStream out) throws IOException {
                writeFloats(spec.generate(seed), out);
            }
        };
    }

    /** float16 little-endian data (round to nearest even), generated when written. */
    static Onnx.TensorData float16(Spec spec, long seed) {
        return new Onnx.TensorData() {
            @Override
            public long byteSize() {
                return spec.count() * 2;
            }

            @Override
            public void writeTo(CodedOutputStream out) throws IOException {
                writeHalves(spec.generate(seed), out);
            }
        };
    }

    static Onnx.TensorData bytes(byte[] data) {
        byte[] copy = data.clone();
        return new Onnx.TensorData() {
            @Override
            public long byteSize() {
                return copy.length;
            }

            @Override
            public void writeTo(CodedOutputStream out) throws IOException {
                out.writeRawBytes(copy);
            }
        };
    }

    static Onnx.TensorData floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return bytes(b.array());
    }

    static Onnx.TensorData halves(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putShort(toHalf(v));
        return bytes(b.array());
    }

    static Onnx.TensorData longs(long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) b.putLong(v);
        return bytes(b.array());
    }

    private static final int CHUNK = 1 << 16;

    static void writeFloats(float[] values, CodedOutputStream out) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i += CHUNK) {
            int n = Math.min(CHUNK, values.length - i);
            buf.clear();
            for (int j = 0; j < n; j++) buf.putFloat(values[i + j]);
            out.writeRawBytes(buf.array(), 0, n * 4);
        }
    }

    static void writeHalves(float[] values, CodedOutputStream out) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i += CHUNK) {
            int n = Math.min(CHUNK, values.length - i);
            buf.clear();
            for (int j = 0; j < n; j++) buf.putShort(toHalf(values[i + j]));
            out.writeRawBytes(buf.array(), 0, n * 2);
        }
    }

    /** IEEE 754 binary16 bits of {@code f}, rounded to nearest even (Java 17 has no Float.floatToFloat16). */
    static short toHalf(float f) {
        int x = Float.floatToRawIntBits(f);
        int sign = (x >>> 16) & 0x8000;
        int abs = x & 0x7fffffff;
        if (abs > 0x7f800000) return (short) (sign | 0x7e00); // NaN
        if (abs >= 0x477ff000) return (short) (sign | 0x7c00); // rounds past 65504: infinity
        if (abs < 0x38800000) { // below 2^-14: a subnormal half, or zero
            if (abs < 0x33000000) return (short) sign;
            int e = abs >>> 23;
            int m = (abs & 0x7fffff) | 0x800000;
            int shift = 126 - e;
            int h = m >>> shift;
            int rem = m & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (h & 1) == 1)) h++;
            return (short) (sign | h);
        }
        int h = (abs - 0x38000000) >>> 13;
        int rem = abs & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (h & 1) == 1)) h++; // a carry into the exponent is correct
        return (short) (sign | h);
    }

    /** The float value of binary16 bits (for tests and checks). */
    static float fromHalf(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (exp == 31) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }
}
