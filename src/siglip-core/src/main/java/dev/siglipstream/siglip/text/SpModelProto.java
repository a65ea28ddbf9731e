package dev.siglipstream.siglip.text;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Edits a serialized SentencePiece {@code ModelProto} by hand: sets {@code normalizer_spec.add_dummy_prefix}
 * to false, as transformers' {@code SiglipTokenizer.get_spm_processor} does with {@code MergeFrom}.
 */
final class SpModelProto {
    private static final int MODEL_PIECES = 1;
    private static final int MODEL_NORMALIZER_SPEC = 3;
    private static final int PIECE_PIECE = 1;
    private static final int PIECE_TYPE = 3;
    private static final int TYPE_UNKNOWN = 2;
    private static final int NORMALIZER_ADD_DUMMY_PREFIX = 3;
    private static final int WIRE_VARINT = 0;
    private static final int WIRE_I64 = 1;
    private static final int WIRE_LEN = 2;
    private static final int WIRE_I32 = 5;

    private SpModelProto() {}

    /**
     * Returns a copy of {@code model} whose normalizer spec has {@code add_dummy_prefix = false}; every other
     * field is kept byte for byte.
     *
     * @throws IOException when the bytes are not a well-formed protobuf message with at least one piece
     */
    static Edited withoutDummyPrefix(byte[] model, String source) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(model.length + 8);
        Reader in = new Reader(model, 0, model.length, source);
        boolean sawNormalizer = false;
        List<String> pieces = new ArrayList<>();
        int unkId = -1;
        while (in.hasMore()) {
            int start = in.pos;
            long tag = in.varint();
            int field = (int) (tag >>> 3);
            int wire = (int) (tag & 7);
            if (field == MODEL_NORMALIZER_SPEC && wire == WIRE_LEN) {
                int len = in.length();
                byte[] spec = rewriteNormalizer(model, in.pos, len, source);
                in.pos += len;
                writeVarint(out, tag);
                writeVarint(out, spec.length);
                out.write(spec, 0, spec.length);
                sawNormalizer = true;
                continue;
            }
            if (field == MODEL_PIECES && wire == WIRE_LEN) {
                int len = in.length();
                if (readPiece(model, in.pos, len, source, pieces)) {
                    unkId = pieces.size() - 1;
                }
                in.pos += len;
                out.write(model, start, in.pos - start);
                continue;
            }
            in.skip(field, wire);
            out.write(model, start, in.pos - start);
        }
        if (pieces.isEmpty()) {
            throw new IOException(source + " is not a SentencePiece model: no vocabulary pieces (ModelProto field 1)"
                    + " in its " + model.length + " bytes");
        }
        if (!sawNormalizer) {
            // MergeFrom on an absent message creates it with only the field that was set.
            writeVarint(out, ((long) MODEL_NORMALIZER_SPEC << 3) | WIRE_LEN);
            writeVarint(out, 2);
            writeVarint(out, ((long) NORMALIZER_ADD_DUMMY_PREFIX << 3) | WIRE_VARINT);
            writeVarint(out, 0);
        }
        if (unkId < 0) {
            throw new IOException(source + " is not a usable SentencePiece model: none of its " + pieces.size()
                    + " pieces has type UNKNOWN");
        }
        return new Edited(out.toByteArray(), List.copyOf(pieces), unkId);
    }

    /**
     * The edited model and its vocabulary.
     *
     * @param pieces the piece strings, index = id
     * @param unkId  the id of the UNKNOWN piece, which SentencePiece's {@code PieceToId} returns for anything else
     */
    record Edited(byte[] bytes, List<String> pieces, int unkId) {
        int pieceCount() {
            return pieces.size();
        }
    }

    /** Appends {@code SentencePiece.piece} to {@code pieces}; returns whether its type is UNKNOWN. */
    private static boolean readPiece(byte[] buf, int offset, int len, String source, List<String> pieces)
            throws IOException {
        Reader in = new Reader(buf, offset, offset + len, source);
        String piece = "";
        boolean unknown = false;
        while (in.hasMore()) {
            long tag = in.varint();
            int field = (int) (tag >>> 3);
            int wire = (int) (tag & 7);
            if (field == PIECE_PIECE && wire == WIRE_LEN) {
                int n = in.length();
                piece = new String(buf, in.pos, n, StandardCharsets.UTF_8);
                in.pos += n;
            } else if (field == PIECE_TYPE && wire == WIRE_VARINT) {
                unknown = in.varint() == TYPE_UNKNOWN;
            } else {
                in.skip(field, wire);
            }
        }
        pieces.add(piece);
        return unknown;
    }

    private static byte[] rewriteNormalizer(byte[] buf, int offset, int len, String source) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(len + 2);
        Reader in = new Reader(buf, offset, offset + len, source);
        while (in.hasMore()) {
            int start = in.pos;
            long tag = in.varint();
            int field = (int) (tag >>> 3);
            int wire = (int) (tag & 7);
            in.skip(field, wire);
            if (field != NORMALIZER_ADD_DUMMY_PREFIX) {
                out.write(buf, start, in.pos - start);
            }
        }
        writeVarint(out, ((long) NORMALIZER_ADD_DUMMY_PREFIX << 3) | WIRE_VARINT);
        writeVarint(out, 0);
        return out.toByteArray();
    }

    private static void writeVarint(ByteArrayOutputStream out, long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }

    /** A bounds-checked cursor over one message's bytes. */
    private static final class Reader {
        private final byte[] buf;
        private final int end;
        private final String source;
        int pos;

        Reader(byte[] buf, int pos, int end, String source) {
            this.buf = buf;
            this.pos = pos;
            this.end = end;
            this.source = source;
        }

        boolean hasMore() {
            return pos < end;
        }

        long varint() throws IOException {
            long result = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw corrupt("truncated varint");
                }
                byte b = buf[pos++];
                result |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return result;
                }
            }
            throw corrupt("varint longer than 10 bytes");
        }

        int length() throws IOException {
            long len = varint();
            if (len < 0 || len > end - pos) {
                throw corrupt("length-delimited field of " + len + " bytes with only " + (end - pos) + " left");
            }
            return (int) len;
        }

        void skip(int field, int wire) throws IOException {
            if (field == 0) {
                throw corrupt("field number 0");
            }
            switch (wire) {
                case WIRE_VARINT -> varint();
                case WIRE_I64 -> advance(8);
                case WIRE_LEN -> {
                    int len = length(); // read before pos, which length() advances
                    pos += len;
                }
                case WIRE_I32 -> advance(4);
                default -> throw corrupt("unsupported wire type " + wire + " for field " + field);
            }
        }

        private void advance(int n) throws IOException {
            if (n > end - pos) {
                throw corrupt("fixed-size field past the end");
            }
            pos += n;
        }

        private IOException corrupt(String what) {
            return new IOException(source + " is not a valid SentencePiece model (protobuf ModelProto): " + what
                    + " at byte " + pos);
        }
    }
}
