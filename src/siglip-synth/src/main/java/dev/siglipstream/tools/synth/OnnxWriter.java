package dev.siglipstream.tools.synth;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes an {@link Onnx.Graph} as an ONNX {@code ModelProto} in the protobuf wire format, with the
 * field numbers of the public {@code onnx.proto}. Everything but the initializers' {@code raw_data}
 * is serialised in memory first (it is small) so that every length prefix is known; the weights are
 * then streamed straight to the file, one tensor at a time.
 */
final class OnnxWriter {
    // ModelProto
    private static final int MODEL_IR_VERSION = 1;
    private static final int MODEL_PRODUCER_NAME = 2;
    private static final int MODEL_PRODUCER_VERSION = 3;
    private static final int MODEL_GRAPH = 7;
    private static final int MODEL_OPSET_IMPORT = 8;
    // OperatorSetIdProto
    private static final int OPSET_DOMAIN = 1;
    private static final int OPSET_VERSION = 2;
    // GraphProto
    private static final int GRAPH_NODE = 1;
    private static final int GRAPH_NAME = 2;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int GRAPH_INPUT = 11;
    private static final int GRAPH_OUTPUT = 12;
    // NodeProto
    private static final int NODE_INPUT = 1;
    private static final int NODE_OUTPUT = 2;
    private static final int NODE_NAME = 3;
    private static final int NODE_OP_TYPE = 4;
    private static final int NODE_ATTRIBUTE = 5;
    // AttributeProto
    private static final int ATTR_NAME = 1;
    private static final int ATTR_F = 2;
    private static final int ATTR_I = 3;
    private static final int ATTR_T = 5;
    private static final int ATTR_INTS = 8;
    private static final int ATTR_TYPE = 20;
    // TensorProto
    private static final int TENSOR_DIMS = 1;
    private static final int TENSOR_DATA_TYPE = 2;
    private static final int TENSOR_NAME = 8;
    private static final int TENSOR_RAW_DATA = 9;
    // ValueInfoProto / TypeProto / TypeProto.Tensor / TensorShapeProto / Dimension
    private static final int VALUE_INFO_NAME = 1;
    private static final int VALUE_INFO_TYPE = 2;
    private static final int TYPE_TENSOR_TYPE = 1;
    private static final int TENSOR_TYPE_ELEM_TYPE = 1;
    private static final int TENSOR_TYPE_SHAPE = 2;
    private static final int SHAPE_DIM = 1;
    private static final int DIM_VALUE = 1;
    private static final int DIM_PARAM = 2;

    /** IR version 7 goes with opset 14, as in torch 1.13's exports. */
    static final long IR_VERSION = 7;

    private OnnxWriter() {}

    /** Writes {@code graph} to {@code file} (created or replaced) as a model importing {@code opset}. */
    static void write(Onnx.Graph graph, int opset, String producer, String producerVersion, Path file) {
        List<byte[]> nodes = new ArrayList<>();
        for (Onnx.Node n : graph.nodes()) nodes.add(node(n));
        List<byte[]> headers = new ArrayList<>();
        for (Onnx.Tensor t : graph.initializers()) headers.add(tensorHeader(t));
        List<byte[]> inputs = new ArrayList<>();
        for (Onnx.ValueInfo v : graph.inputs()) inputs.add(valueInfo(v));
        List<byte[]> outputs = new ArrayList<>();
        for (Onnx.ValueInfo v : graph.outputs()) outputs.add(valueInfo(v));

        long graphSize = 0;
        for (byte[] b : nodes) graphSize += field(GRAPH_NODE, b.length);
        graphSize += CodedOutputStream.computeStringSize(GRAPH_NAME, graph.name());
        for (int i = 0; i < headers.size(); i++) {
            graphSize += field(GRAPH_INITIALIZER, initializerSize(headers.get(i), graph.initializers().get(i)));
        }
        for (byte[] b : inputs) graphSize += field(GRAPH_INPUT, b.length);
        for (byte[] b : outputs) graphSize += field(GRAPH_OUTPUT, b.length);

        byte[] opsetImport = message(out -> {
            out.writeString(OPSET_DOMAIN, "");
            out.writeInt64(OPSET_VERSION, opset);
        });

        try (OutputStream os = Files.newOutputStream(file)) {
            CodedOutputStream out = CodedOutputStream.newInstance(os, 1 << 16);
            out.writeInt64(MODEL_IR_VERSION, IR_VERSION);
            out.writeString(MODEL_PRODUCER_NAME, producer);
            out.writeString(MODEL_PRODUCER_VERSION, producerVersion);
            out.writeByteArray(MODEL_OPSET_IMPORT, opsetImport);
            out.writeTag(MODEL_GRAPH, 2);
            out.writeUInt64NoTag(graphSize);
            for (byte[] b : nodes) out.writeByteArray(GRAPH_NODE, b);
            out.writeString(GRAPH_NAME, graph.name());
            for (int i = 0; i < headers.size(); i++) {
                Onnx.Tensor t = graph.initializers().get(i);
                byte[] header = headers.get(i);
                out.writeTag(GRAPH_INITIALIZER, 2);
                out.writeUInt64NoTag(initializerSize(header, t));
                out.writeRawBytes(header);
                out.writeTag(TENSOR_RAW_DATA, 2);
                out.writeUInt64NoTag(t.data().byteSize());
                t.data().writeTo(out);
            }
            for (byte[] b : inputs) out.writeByteArray(GRAPH_INPUT, b);
            for (byte[] b : outputs) out.writeByteArray(GRAPH_OUTPUT, b);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write ONNX model " + file + ": " + e.getMessage(), e);
        }
    }

    private static long initializerSize(byte[] header, Onnx.Tensor t) {
        return header.length + field(TENSOR_RAW_DATA, t.data().byteSize());
    }

    /** Size of a length-delimited field with a payload of {@code length} bytes. */
    private static long field(int number, long length) {
        return CodedOutputStream.computeTagSize(number) + CodedOutputStream.computeUInt64SizeNoTag(length) + length;
    }

    private static byte[] node(Onnx.Node n) {
        return message(out -> {
            for (String in : n.inputs()) out.writeString(NODE_INPUT, in);
            for (String o : n.outputs()) out.writeString(NODE_OUTPUT, o);
            out.writeString(NODE_NAME, n.name());
            out.writeString(NODE_OP_TYPE, n.opType());
            for (Onnx.Attribute a : n.attributes()) out.writeByteArray(NODE_ATTRIBUTE, attribute(a));
        });
    }

    private static byte[] attribute(Onnx.Attribute a) {
        return message(out -> {
            out.writeString(ATTR_NAME, a.name());
            switch (a.type()) {
                case FLOAT -> out.writeFloat(ATTR_F, a.f());
                case INT -> out.writeInt64(ATTR_I, a.i());
                case INTS -> {
                    for (long v : a.ints()) out.writeInt64(ATTR_INTS, v);
                }
                case TENSOR -> out.writeByteArray(ATTR_T, fullTensor(a.t()));
            }
            out.writeEnum(ATTR_TYPE, a.type().code);
        });
    }

    /** dims, data_type and name: everything of a TensorProto but its raw_data. */
    private static byte[] tensorHeader(Onnx.Tensor t) {
        return message(out -> {
            for (long d : t.dims()) out.writeInt64(TENSOR_DIMS, d);
            out.writeInt32(TENSOR_DATA_TYPE, t.dataType());
            if (!t.name().isEmpty()) out.writeString(TENSOR_NAME, t.name());
        });
    }

    private static byte[] fullTensor(Onnx.Tensor t) {
        byte[] header = tensorHeader(t);
        return message(out -> {
            out.writeRawBytes(header);
            out.writeTag(TENSOR_RAW_DATA, 2);
            out.writeUInt64NoTag(t.data().byteSize());
            t.data().writeTo(out);
        });
    }

    private static byte[] valueInfo(Onnx.ValueInfo v) {
        byte[] shape = message(out -> {
            for (Object d : v.dims()) {
                byte[] dim = message(dd -> {
                    if (d instanceof Long value) dd.writeInt64(DIM_VALUE, value);
                    else dd.writeString(DIM_PARAM, (String) d);
                });
                out.writeByteArray(SHAPE_DIM, dim);
            }
        });
        byte[] tensorType = message(out -> {
            out.writeInt32(TENSOR_TYPE_ELEM_TYPE, v.elemType());
            out.writeByteArray(TENSOR_TYPE_SHAPE, shape);
        });
        byte[] type = message(out -> out.writeByteArray(TYPE_TENSOR_TYPE, tensorType));
        return message(out -> {
            out.writeString(VALUE_INFO_NAME, v.name());
            out.writeByteArray(VALUE_INFO_TYPE, type);
        });
    }

    @FunctionalInterface
    private interface Body {
        void write(CodedOutputStream out) throws IOException;
    }

    private static byte[] message(Body body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes, 256);
        try {
            body.write(out);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
