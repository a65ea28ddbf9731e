package dev.siglipstream.tools.synth;

import com.google.protobuf.CodedOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * The small subset of the ONNX IR that the synthetic SigLIP graphs need, as plain values that
 * {@link OnnxWriter} serialises. Field meanings follow {@code onnx.proto} (ONNX IR version 7).
 */
final class Onnx {
    private Onnx() {}

    /** {@code TensorProto.DataType} values used here. */
    static final int FLOAT = 1;
    static final int UINT8 = 2;
    static final int INT8 = 3;
    static final int INT64 = 7;
    static final int FLOAT16 = 10;

    /** Bytes per element of a {@code TensorProto.DataType}. */
    static int elementSize(int dataType) {
        return switch (dataType) {
            case FLOAT -> 4;
            case UINT8, INT8 -> 1;
            case INT64 -> 8;
            case FLOAT16 -> 2;
            default -> throw new IllegalArgumentException("unsupported ONNX data type " + dataType);
        };
    }

    /** The payload of a tensor, written as {@code raw_data} (little-endian) without an intermediate copy. */
    interface TensorData {
        /** Exact number of bytes {@link #writeTo} writes. */
        long byteSize();

        void writeTo(CodedOutputStream out) throws IOException;
    }

    /** A tensor: an initializer, or the {@code value} of a Constant node. */
    record Tensor(String name, int dataType, long[] dims, TensorData data) {
        Tensor {
            long n = 1;
            for (long d : dims) n *= d;
            if (n * elementSize(dataType) != data.byteSize()) {
                throw new IllegalArgumentException("tensor " + name + ": dims need " + n * elementSize(dataType)
                        + " bytes, data has " + data.byteSize());
            }
        }
    }

    /** {@code AttributeProto.AttributeType} values used here. */
    enum AttrType {
        FLOAT(1), INT(2), TENSOR(4), INTS(7);

        final int code;

        AttrType(int code) {
            this.code = code;
        }
    }

    /** A node attribute; exactly one of the value fields is meaningful, chosen by {@code type}. */
    record Attribute(String name, AttrType type, float f, long i, long[] ints, Tensor t) {
        static Attribute of(String name, long value) {
            return new Attribute(name, AttrType.INT, 0f, value, null, null);
        }

        static Attribute of(String name, float value) {
            return new Attribute(name, AttrType.FLOAT, value, 0, null, null);
        }

        static Attribute ofInts(String name, long... values) {
            return new Attribute(name, AttrType.INTS, 0f, 0, values.clone(), null);
        }

        static Attribute of(String name, Tensor value) {
            return new Attribute(name, AttrType.TENSOR, 0f, 0, null, value);
        }
    }

    /** A graph node in the default ONNX domain. */
    record Node(String opType, String name, List<String> inputs, List<String> outputs, List<Attribute> attributes) {
        Node {
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
            attributes = List.copyOf(attributes);
        }
    }

    /**
     * A graph input or output: element type and shape, each dimension a {@link Long} (fixed) or a
     * {@link String} (a named dynamic axis).
     */
    record ValueInfo(String name, int elemType, List<Object> dims) {
        ValueInfo {
            dims = List.copyOf(dims);
            for (Object d : dims) {
                if (!(d instanceof Long) && !(d instanceof String)) {
                    throw new IllegalArgumentException(name + ": a dimension must be a Long or a String, got " + d);
                }
            }
        }
    }

    /** A whole graph, nodes in topological order. */
    record Graph(String name, List<Node> nodes, List<Tensor> initializers, List<ValueInfo> inputs,
            List<ValueInfo> outputs) {
        Graph {
            nodes = List.copyOf(nodes);
            initializers = List.copyOf(initializers);
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
        }
    }
}
