package io.peft4j.core;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;

/**
 * Tells why Jackson could not parse a JSON file in a few words and a position, never quoting the
 * input: Jackson's own messages repeat the offending token ({@code Unrecognized token 'root'}, the
 * start of {@code /etc/passwd} behind a symbolic link) and its internal source description
 * ({@code [Source: REDACTED ...]}). The one thing named is a duplicate key, which only well-formed
 * JSON up to that point can have.
 */
public final class JsonErrors {

    private JsonErrors() {}

    /** For example {@code "unrecognized token at line 1, column 5"}. */
    public static String describe(JsonProcessingException e) {
        String reason = reason(e);
        JsonLocation at = e.getLocation();
        return at == null || at.getLineNr() < 1 ? reason
                : reason + " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    }

    /** The reason alone, for example {@code "unrecognized token"}. */
    public static String reason(JsonProcessingException e) {
        if (e instanceof JsonEOFException) {
            return "unexpected end of input";
        }
        String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        if (e instanceof StreamConstraintsException) {
            // "Document nesting depth (1001) exceeds the maximum allowed (1000, from `StreamReadConstraints...`)"
            return lowerFirst(message.replaceAll(", from `[^`]*`", "").lines().findFirst().orElse("")).strip();
        }
        if (message.startsWith("Duplicate field '")) {
            return lowerFirst(message.lines().findFirst().orElse(""));
        }
        // Jackson's wording up to the first quote, colon or parenthesis; what follows quotes the input
        int cut = message.length();
        for (char stop : new char[] {'\'', '"', ':', '(', '\n', '['}) {
            int i = message.indexOf(stop);
            if (i >= 0 && i < cut) {
                cut = i;
            }
        }
        String head = message.substring(0, cut).strip();
        return head.isEmpty() ? "malformed JSON" : lowerFirst(head);
    }

    private static String lowerFirst(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
