package io.peft4j.safetensors;

import java.util.Comparator;
import java.util.Map;

/**
 * Renders maps, strings and integers exactly as Python's {@code json.dumps(obj, indent=2)} does
 * (with the default {@code ensure_ascii=True}): two-space indentation, {@code ": "} after keys,
 * non-ASCII escaped as {@code \\uXXXX}. Key order is the maps' own; sort them to match
 * {@code sort_keys=True}.
 */
final class PythonJson {

    /** Python's string order (by code point), for {@code sort_keys=True}. */
    static final Comparator<String> CODE_POINT_ORDER = (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    };

    private PythonJson() {
    }

    /** The JSON text of {@code value}: a Map with String keys, a String, or an integral Number. */
    static String dumps(Object value) {
        StringBuilder out = new StringBuilder();
        append(out, value, 0);
        return out.toString();
    }

    private static void append(StringBuilder out, Object value, int depth) {
        switch (value) {
            case Map<?, ?> map -> {
                if (map.isEmpty()) {
                    out.append("{}");
                    return;
                }
                out.append('{');
                boolean first = true;
                for (var e : map.entrySet()) {
                    out.append(first ? "\n" : ",\n").append("  ".repeat(depth + 1));
                    first = false;
                    appendString(out, (String) e.getKey());
                    out.append(": ");
                    append(out, e.getValue(), depth + 1);
                }
                out.append('\n').append("  ".repeat(depth)).append('}');
            }
            case String s -> appendString(out, s);
            case Long l -> out.append(l.longValue());
            case Integer i -> out.append(i.intValue());
            default -> throw new IllegalArgumentException("cannot render " + value.getClass());
        }
    }

    private static void appendString(StringBuilder out, String s) {
        out.append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || c > 0x7E) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
