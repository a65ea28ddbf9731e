package dev.siglipstream.siglip.text;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The few Python {@code str} semantics the slow SigLIP tokenizer depends on: {@code str.lower} of one
 * character, {@code str.isspace} (= {@code re}'s {@code \s} and {@code str.strip}), {@code string.punctuation}.
 */
final class PythonText {
    private static final String ASCII_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    /** Resource with CPython 3.11's (Unicode 14) single-character lowercase table, the reference's version. */
    static final String LOWER_TABLE = "python-lower.txt";

    private PythonText() {}

    /**
     * The JDK's own case tables follow its Unicode version (13 in Java 17, 16 in Java 24), so the
     * reference's table is shipped instead and lowercasing does not depend on the JVM.
     */
    private static final class Lower {
        static final Map<Integer, String> TABLE = load();

        private static Map<Integer, String> load() {
            Map<Integer, String> table = new HashMap<>(2048);
            try (InputStream in = PythonText.class.getResourceAsStream(LOWER_TABLE)) {
                if (in == null) {
                    throw new IllegalStateException("Missing class-path resource " + LOWER_TABLE + " next to "
                            + PythonText.class.getName());
                }
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
                for (String line; (line = reader.readLine()) != null; ) {
                    if (line.isEmpty() || line.startsWith("#")) continue;
                    String[] parts = line.split(" ");
                    StringBuilder lower = new StringBuilder(2);
                    for (int i = 1; i < parts.length; i++) {
                        lower.appendCodePoint(Integer.parseInt(parts[i], 16));
                    }
                    table.put(Integer.parseInt(parts[0], 16), lower.toString());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read " + LOWER_TABLE, e);
            }
            return table;
        }
    }

    /** Python's {@code str.isspace()} for one code point (Unicode White_Space minus nothing, plus U+001C..1F). */
    static boolean isSpace(int cp) {
        return switch (cp) {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680,
                    0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> cp >= 0x2000 && cp <= 0x200A;
        };
    }

    static boolean isAsciiPunctuation(int cp) {
        return cp < 0x80 && ASCII_PUNCTUATION.indexOf(cp) >= 0;
    }

    /**
     * Python's {@code c.lower()} for a single character. Applied one character at a time there is no
     * context, so no final sigma; U+0130 becomes two code points.
     */
    static void appendLower(StringBuilder out, int cp) {
        if (cp < 0x80) {
            out.append((char) (cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp));
            return;
        }
        String lower = Lower.TABLE.get(cp);
        if (lower != null) {
            out.append(lower);
        } else {
            out.appendCodePoint(cp);
        }
    }

    /** {@code text.translate(str.maketrans("", "", string.punctuation))}. */
    static String removeAsciiPunctuation(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!isAsciiPunctuation(c)) {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** {@code re.sub(r"\s+", " ", text).strip()}. */
    static String collapseWhitespace(String text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean pendingSpace = false;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (isSpace(cp)) {
                pendingSpace = true;
            } else {
                if (pendingSpace && out.length() > 0) {
                    out.append(' ');
                }
                pendingSpace = false;
                out.appendCodePoint(cp);
            }
        }
        return out.toString();
    }

    /** Python's {@code str.lstrip()}. */
    static String lstrip(String s) {
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            if (!isSpace(cp)) break;
            i += Character.charCount(cp);
        }
        return s.substring(i);
    }

    /** Python's {@code str.rstrip()}. */
    static String rstrip(String s) {
        int i = s.length();
        while (i > 0) {
            int cp = s.codePointBefore(i);
            if (!isSpace(cp)) break;
            i -= Character.charCount(cp);
        }
        return s.substring(0, i);
    }
}
