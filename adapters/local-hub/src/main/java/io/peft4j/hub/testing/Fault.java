package io.peft4j.hub.testing;

/**
 * A fault {@link LocalHub} injects into the next {@code times} requests whose path contains
 * {@code pathContains} (on either host): a status code (with {@code Retry-After}), a connection
 * dropped after some bytes of the body, or a delay before answering.
 *
 * @param kind         what goes wrong
 * @param pathContains which requests are hit (substring of the path)
 * @param times        how many requests are hit
 * @param value        the status code, the bytes sent before the drop, or the delay in milliseconds
 * @param retryAfter   seconds for the {@code Retry-After} header of a status fault, or -1 for none
 */
public record Fault(Kind kind, String pathContains, int times, long value, int retryAfter) {

    /** Kinds of fault. */
    public enum Kind {
        /** Answer with a status code instead of the real answer. */
        STATUS,
        /** Send the headers and part of the body, then close the connection. */
        DROP,
        /** Wait before answering. */
        DELAY
    }

    /** Answers {@code status} (e.g. 503) with {@code Retry-After: retryAfterSeconds} ({@code -1}: no header). */
    public static Fault status(String pathContains, int status, int retryAfterSeconds, int times) {
        return new Fault(Kind.STATUS, pathContains, times, status, retryAfterSeconds);
    }

    /** Drops the connection after {@code bytes} of the body, once. */
    public static Fault dropAfter(String pathContains, long bytes) {
        return new Fault(Kind.DROP, pathContains, 1, bytes, -1);
    }

    /** Delays the answer by {@code millis}, {@code times} times. */
    public static Fault delay(String pathContains, long millis, int times) {
        return new Fault(Kind.DELAY, pathContains, times, millis, -1);
    }
}
