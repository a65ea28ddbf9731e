package dev.siglipstream.siglip.text;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Python str semantics the tokenizer relies on (values checked with CPython 3.11). */
class PythonTextTest {
    private static String lower(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints().forEach(cp -> PythonText.appendLower(out, cp));
        return out.toString();
    }

    @Test
    void lowercaseIsPerCharacterLikeCpython311() {
        assertThat(lower("ΟΔΟΣ ΣΟΦΙΑΣ")).isEqualTo("οδοσ σοφιασ"); // no final sigma
        assertThat(lower("İstanbul")).isEqualTo("i\u0307stanbul");
        assertThat(lower("ÉCOLE NAÏVE ẞ")).isEqualTo("école naïve ß");
        assertThat(lower("\u2C2F")).isEqualTo("\u2C5F"); // Unicode 14, not in Java 17's tables
        assertThat(lower(new String(Character.toChars(0x10570)))).isEqualTo(new String(Character.toChars(0x10597)));
        assertThat(lower("\uA7CB")).isEqualTo("\uA7CB"); // Unicode 16: CPython 3.11 leaves it
        assertThat(lower("ǅ Ⅻ Ⓐ")).isEqualTo("ǆ ⅻ ⓐ");
    }

    @Test
    void whitespaceIsPythonsIsspace() {
        assertThat(PythonText.collapseWhitespace("  a\u00a0\u2003b\u200bc\u001c\u0085d\n\t ")).isEqualTo("a b\u200bc d");
        assertThat(PythonText.collapseWhitespace("\u3000")).isEmpty();
        assertThat(PythonText.lstrip(" \u2028x ")).isEqualTo("x ");
        assertThat(PythonText.rstrip(" x\u202f\u205f")).isEqualTo(" x");
    }

    @Test
    void onlyAsciiPunctuationIsRemoved() {
        assertThat(PythonText.removeAsciiPunctuation("“it's” — (a_b) … ¡hola! ‚x‘ [y]{z}~`@#$%^&*+=|\\/<>?:;\"."))
                .isEqualTo("“its” — ab … ¡hola ‚x‘ yz");
    }
}
