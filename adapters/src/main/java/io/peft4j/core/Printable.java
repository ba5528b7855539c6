package io.peft4j.core;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;

/**
 * Makes text that came from a file or a server (tensor names, metadata, file names) safe to print on
 * a terminal. Control characters (C0, DEL and C1: ESC and CSI start every terminal escape sequence),
 * the line and paragraph separators, and the Unicode bidirectional controls (which make text display
 * in another order than it is stored) are written as escapes: {@code \n}, {@code \r}, {@code \t},
 * {@code \x1b}, {@code \u202e}. Everything else, accented letters and emoji included, is kept as is.
 */
public final class Printable {

    private Printable() {}

    /** {@code text} with every unsafe character escaped; {@code "null"} for null. */
    public static String of(String text) {
        if (text == null) {
            return "null";
        }
        int first = firstUnsafe(text);
        if (first < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 8).append(text, 0, first);
        for (int i = first; i < text.length(); i++) {
            char c = text.charAt(i);
            if (isUnsafe(c)) {
                out.append(escape(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Whether printing {@code c} as is could move the cursor, change the terminal or reorder text. */
    public static boolean isUnsafe(char c) {
        return c < 0x20 || (c >= 0x7F && c <= 0x9F)
                || c == 0x2028 || c == 0x2029 // line and paragraph separators
                || c == 0x061C || c == 0x200E || c == 0x200F // bidi marks
                || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069); // bidi embeddings, overrides, isolates
    }

    private static int firstUnsafe(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (isUnsafe(text.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private static String escape(char c) {
        return switch (c) {
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            default -> c < 0x100 ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c);
        };
    }

    /**
     * Jackson escapes for JSON output with the same rule: JSON already escapes C0, this adds DEL, C1,
     * the separators and the bidi controls as {@code \}{@code uXXXX}, so JSON printed on a terminal is safe too.
     */
    public static CharacterEscapes jsonEscapes() {
        return JsonEscapes.INSTANCE;
    }

    private static final class JsonEscapes extends CharacterEscapes {
        static final JsonEscapes INSTANCE = new JsonEscapes();
        private final int[] asciiEscapes = standardAsciiEscapesForJSON();

        private JsonEscapes() {
            asciiEscapes[0x7F] = ESCAPE_STANDARD;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return asciiEscapes;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return ch <= Character.MAX_VALUE && isUnsafe((char) ch)
                    ? new SerializedString(String.format("\\u%04x", ch)) : null;
        }
    }
}
