package dev.siglipstream.siglip.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** The hand-written protobuf edit that switches off {@code normalizer_spec.add_dummy_prefix}. */
class SpModelProtoTest {
    // ModelProto { pieces { piece: "<unk>" type: UNKNOWN } pieces { piece: "a" }
    //              normalizer_spec { name: "n"  add_dummy_prefix: true  remove_extra_whitespaces: true } }
    private static final byte[] MODEL = {
        0x0A, 0x09, 0x0A, 0x05, '<', 'u', 'n', 'k', '>', 0x18, 0x02,
        0x0A, 0x03, 0x0A, 0x01, 'a',
        0x1A, 0x07, 0x0A, 0x01, 'n', 0x18, 0x01, 0x20, 0x01,
    };

    @Test
    void dummyPrefixIsSetToFalseAndEverythingElseKept() throws IOException {
        SpModelProto.Edited edited = SpModelProto.withoutDummyPrefix(MODEL, "m");
        assertThat(edited.pieces()).containsExactly("<unk>", "a");
        assertThat(edited.unkId()).isZero();
        assertThat(edited.bytes()).containsExactly(
                0x0A, 0x09, 0x0A, 0x05, '<', 'u', 'n', 'k', '>', 0x18, 0x02,
                0x0A, 0x03, 0x0A, 0x01, 'a',
                0x1A, 0x07, 0x0A, 0x01, 'n', 0x20, 0x01, 0x18, 0x00);
    }

    @Test
    void missingNormalizerSpecIsCreated() throws IOException {
        byte[] onlyPiece = {0x0A, 0x05, 0x0A, 0x01, 'u', 0x18, 0x02};
        assertThat(SpModelProto.withoutDummyPrefix(onlyPiece, "m").bytes())
                .containsExactly(0x0A, 0x05, 0x0A, 0x01, 'u', 0x18, 0x02, 0x1A, 0x02, 0x18, 0x00);
    }

    @Test
    void realModelKeepsItsSize() throws IOException {
        byte[] bytes = Files.readAllBytes(SiglipTokenizerConformanceTest.MODEL.resolve("spiece.model"));
        SpModelProto.Edited edited = SpModelProto.withoutDummyPrefix(bytes, "spiece.model");
        assertThat(edited.pieceCount()).isEqualTo(1000);
        assertThat(edited.unkId()).isZero();
        assertThat(edited.pieces().subList(0, 3)).containsExactly("<unk>", "<s>", "</s>");
        // The fixture leaves add_dummy_prefix at its default (absent); the edit adds the 2 bytes 0x18 0x00.
        assertThat(edited.bytes().length).isEqualTo(bytes.length + 2);
        // Idempotent: a second edit finds the explicit false and replaces it with the same bytes.
        assertThat(java.util.Arrays.equals(
                SpModelProto.withoutDummyPrefix(edited.bytes(), "spiece.model").bytes(), edited.bytes())).isTrue();
    }

    @Test
    void malformedBytesNameTheSource() {
        assertThatThrownBy(() -> SpModelProto.withoutDummyPrefix(new byte[] {0x0A, 0x7F, 0x01}, "x/spiece.model"))
                .isInstanceOf(IOException.class).hasMessageContaining("x/spiece.model").hasMessageContaining("length");
        assertThatThrownBy(() -> SpModelProto.withoutDummyPrefix(new byte[0], "x/spiece.model"))
                .isInstanceOf(IOException.class).hasMessageContaining("no vocabulary pieces");
        assertThatThrownBy(() -> SpModelProto.withoutDummyPrefix(new byte[] {0x0A, 0x03, 0x0A, 0x01, 'a'}, "m"))
                .isInstanceOf(IOException.class).hasMessageContaining("UNKNOWN");
    }
}
