package io.peft4j.core;

/**
 * Makes text that came from a file or a server (file names, ids, messages) safe to print on a
 * terminal: control characters (C0, DEL, C1: ESC and CSI start every terminal escape sequence),
 * the line and paragraph separators and the bidirectional controls are written as escapes
 * ({@code \n}, {@code \x1b}, {@code \u202e}); everything else is kept as is.
 */
public final class Printable {

    private Printable() {}

    /** {@code text} with every unsafe character escaped; {@code "null"} for null. */
    public static String of(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!isUnsafe(c)) {
                out.append(c);
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (c == '\t') {
                out.append("\\t");
            } else if (c <= 0xFF) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        return out.toString();
    }

    /** Whether printing {@code c} as is could move the cursor, change the terminal or reorder text. */
    public static boolean isUnsafe(char c) {
        return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029
                || c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
    }
}
