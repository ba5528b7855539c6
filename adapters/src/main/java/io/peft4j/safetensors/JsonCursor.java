package io.peft4j.safetensors;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A minimal pull reader over UTF-8 JSON bytes, strict like serde_json: no comments, no trailing
 * commas, no unescaped control characters in strings, no lone surrogate escapes, JSON number
 * grammar only. It reports malformed input with {@link Malformed}; what the values mean is decided
 * by its caller.
 */
final class JsonCursor {

    /** The input is not well-formed JSON; the message says where and why. */
    static final class Malformed extends RuntimeException {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * serde_json's recursion limit, which the reference parses headers with: arrays and objects
     * nested this deep (the header object counting as the first level) are refused.
     */
    static final int MAX_DEPTH = 128;

    private final byte[] bytes;
    private final int end;
    private int pos;

    JsonCursor(byte[] bytes) {
        this.bytes = bytes;
        this.end = bytes.length;
    }

    /** Skips whitespace and returns the next byte without consuming it, or -1 at the end. */
    int peek() {
        while (pos < end) {
            byte b = bytes[pos];
            if (b == ' ' || b == '\n' || b == '\r' || b == '\t') {
                pos++;
            } else {
                return b & 0xFF;
            }
        }
        return -1;
    }

    /** Consumes {@code c} (after whitespace) or fails. */
    void expect(char c) {
        if (peek() != c) {
            throw malformed("expected '" + c + "'");
        }
        pos++;
    }

    /** Consumes {@code c} if it comes next (after whitespace). */
    boolean consume(char c) {
        if (peek() == c) {
            pos++;
            return true;
        }
        return false;
    }

    /** Whether only whitespace remains. */
    boolean atEnd() {
        return peek() == -1;
    }

    /** Reads a string value. */
    String readString() {
        expect('"');
        int start = pos;
        while (pos < end) {
            byte b = bytes[pos];
            if (b == '"') {
                String s = new String(bytes, start, pos - start, StandardCharsets.UTF_8);
                pos++;
                return s;
            }
            if (b == '\\') {
                return readEscapedString(start);
            }
            if ((b & 0xFF) < 0x20) {
                throw malformed("control character in string");
            }
            pos++;
        }
        throw malformed("unterminated string");
    }

    private String readEscapedString(int start) {
        StringBuilder sb = new StringBuilder(new String(bytes, start, pos - start, StandardCharsets.UTF_8));
        int chunk = pos;
        while (pos < end) {
            byte b = bytes[pos];
            if (b == '"' || b == '\\') {
                sb.append(new String(bytes, chunk, pos - chunk, StandardCharsets.UTF_8));
                pos++;
                if (b == '"') {
                    return sb.toString();
                }
                appendEscape(sb);
                chunk = pos;
            } else if ((b & 0xFF) < 0x20) {
                throw malformed("control character in string");
            } else {
                pos++;
            }
        }
        throw malformed("unterminated string");
    }

    private void appendEscape(StringBuilder sb) {
        if (pos >= end) {
            throw malformed("unterminated escape");
        }
        byte e = bytes[pos++];
        switch (e) {
            case '"' -> sb.append('"');
            case '\\' -> sb.append('\\');
            case '/' -> sb.append('/');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'n' -> sb.append('\n');
            case 'r' -> sb.append('\r');
            case 't' -> sb.append('\t');
            case 'u' -> appendUnicodeEscape(sb);
            default -> throw malformed("invalid escape");
        }
    }

    private void appendUnicodeEscape(StringBuilder sb) {
        char c = readHex4();
        if (Character.isHighSurrogate(c)) {
            if (pos + 1 < end && bytes[pos] == '\\' && bytes[pos + 1] == 'u') {
                pos += 2;
                char low = readHex4();
                if (!Character.isLowSurrogate(low)) {
                    throw malformed("lone surrogate in escape");
                }
                sb.append(c).append(low);
                return;
            }
            throw malformed("lone surrogate in escape");
        }
        if (Character.isLowSurrogate(c)) {
            throw malformed("lone surrogate in escape");
        }
        sb.append(c);
    }

    private char readHex4() {
        if (pos + 4 > end) {
            throw malformed("truncated \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(bytes[pos++], 16);
            if (d < 0) {
                throw malformed("invalid \\u escape");
            }
            v = (v << 4) | d;
        }
        return (char) v;
    }

    /**
     * Fast path for the common case: if a plain non-negative integer that fits in a long comes
     * next (no sign, fraction, exponent or leading zero), consumes and returns it; otherwise
     * consumes nothing and returns -1, leaving the caller to examine the value.
     */
    long readPlainNonNegativeLong() {
        peek();
        int p = pos;
        if (p >= end || bytes[p] < '0' || bytes[p] > '9') {
            return -1;
        }
        if (bytes[p] == '0' && p + 1 < end && bytes[p + 1] >= '0' && bytes[p + 1] <= '9') {
            return -1;
        }
        int start = p;
        long value = 0;
        while (p < end && bytes[p] >= '0' && bytes[p] <= '9') {
            value = value * 10 + (bytes[p] - '0');
            p++;
        }
        if (p - start > 18 && (p - start > 19 || value < 0)) { // 19 digits may overflow, 20 always do
            return -1;
        }
        if (p < end && (bytes[p] == '.' || bytes[p] == 'e' || bytes[p] == 'E')) {
            return -1;
        }
        pos = p;
        return value;
    }

    /**
     * Fast path for known ASCII strings: if the next value is a string whose raw bytes equal one
     * of {@code candidates} (no escapes), consumes it and returns its index; otherwise consumes
     * nothing and returns -1, leaving the caller to read the string in full.
     */
    int readKnownString(byte[][] candidates) {
        if (peek() != '"') {
            return -1;
        }
        int start = pos + 1;
        int close = start;
        while (close < end && bytes[close] != '"' && bytes[close] != '\\') {
            close++;
        }
        if (close >= end || bytes[close] != '"') {
            return -1;
        }
        int length = close - start;
        for (int i = 0; i < candidates.length; i++) {
            if (candidates[i].length == length && Arrays.equals(bytes, start, close, candidates[i], 0, length)) {
                pos = close + 1;
                return i;
            }
        }
        return -1;
    }

    /**
     * Reads a number and returns its text, checked against the JSON number grammar
     * ({@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}).
     */
    String readNumberText() {
        peek();
        int start = pos;
        if (pos < end && bytes[pos] == '-') {
            pos++;
        }
        if (pos < end && bytes[pos] == '0') {
            pos++;
        } else if (!digits()) {
            throw malformed("invalid number");
        }
        if (pos < end && bytes[pos] == '.') {
            pos++;
            if (!digits()) {
                throw malformed("invalid number");
            }
        }
        if (pos < end && (bytes[pos] == 'e' || bytes[pos] == 'E')) {
            pos++;
            if (pos < end && (bytes[pos] == '+' || bytes[pos] == '-')) {
                pos++;
            }
            if (!digits()) {
                throw malformed("invalid number");
            }
        }
        return new String(bytes, start, pos - start, StandardCharsets.US_ASCII);
    }

    private boolean digits() {
        int start = pos;
        while (pos < end && bytes[pos] >= '0' && bytes[pos] <= '9') {
            pos++;
        }
        return pos > start;
    }

    /** Consumes one literal ({@code true}, {@code false}, {@code null}) that comes next. */
    private void readLiteral(String word) {
        for (int i = 0; i < word.length(); i++) {
            if (pos >= end || bytes[pos] != word.charAt(i)) {
                throw malformed("invalid literal");
            }
            pos++;
        }
    }

    /** Consumes {@code null} if it comes next. */
    boolean consumeNull() {
        if (peek() == 'n') {
            readLiteral("null");
            return true;
        }
        return false;
    }

    /**
     * Skips any value, checking its syntax. {@code depth} is the number of arrays and objects that
     * enclose it; a value nesting to {@link #MAX_DEPTH} levels in all is refused, as the reference
     * refuses it. Iterative, so no input can overflow the stack.
     */
    void skipValue(int depth) {
        boolean[] inObject = new boolean[MAX_DEPTH];
        int open = 0;
        do {
            int c = peek();
            if (c == '{' || c == '[') {
                if (depth + open + 1 >= MAX_DEPTH) {
                    throw malformed("arrays and objects nested " + MAX_DEPTH + " deep (the limit, as in the reference)");
                }
                pos++;
                boolean object = c == '{';
                if (!consume(object ? '}' : ']')) {
                    inObject[open++] = object;
                    if (object) {
                        readKey();
                    }
                    continue;
                }
            } else {
                skipScalar(c);
            }
            while (open > 0) { // after a value: the next element, or the end of enclosing containers
                if (consume(',')) {
                    if (inObject[open - 1]) {
                        readKey();
                    }
                    break;
                }
                expect(inObject[open - 1] ? '}' : ']');
                open--;
            }
        } while (open > 0);
    }

    private void readKey() {
        readString();
        expect(':');
    }

    private void skipScalar(int c) {
        switch (c) {
            case '"' -> readString();
            case 't' -> readLiteral("true");
            case 'f' -> readLiteral("false");
            case 'n' -> readLiteral("null");
            case -1 -> throw malformed("unexpected end");
            default -> readNumberText();
        }
    }

    /** Describes the kind of value that comes next, for error messages. */
    String describeNext() {
        return switch (peek()) {
            case '{' -> "an object";
            case '[' -> "an array";
            case '"' -> "a string";
            case 't', 'f' -> "a boolean";
            case 'n' -> "null";
            case -1 -> "nothing";
            default -> "a number";
        };
    }

    Malformed malformed(String what) {
        return new Malformed(what + " at byte " + pos);
    }
}
