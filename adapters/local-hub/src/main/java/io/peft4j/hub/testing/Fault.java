package io.peft4j.hub.testing;

import java.util.Map;

/**
 * A fault {@link LocalHub} injects into the next {@code times} requests whose path contains
 * {@code pathContains} (on either host): a status code (with {@code Retry-After}), a connection
 * dropped after some bytes of the body, a delay before answering, a body sent one byte at a time,
 * a {@code Range} request answered wrongly, or a made-up answer of the test's choosing. Faults
 * are taken in the order they were injected, one per request; faults of the body pass over
 * {@code HEAD} requests.
 *
 * @param kind         what goes wrong
 * @param pathContains which requests are hit (substring of the path)
 * @param times        how many requests are hit
 * @param value        the status code, the bytes sent before the drop, the delay in milliseconds
 *                     (before answering, between two bytes of a trickle, or before a made-up answer)
 * @param retryAfter   seconds for the {@code Retry-After} header of a status fault, or -1 for none
 * @param answer       the made-up answer of an {@link Kind#ANSWER} fault, else null
 */
public record Fault(Kind kind, String pathContains, int times, long value, int retryAfter, Answer answer) {

    /** Kinds of fault. */
    public enum Kind {
        /** Answer with a status code instead of the real answer. */
        STATUS,
        /** Send the headers and part of the body, then close the connection. */
        DROP,
        /** Wait before answering. */
        DELAY,
        /** Send the real answer's body one byte at a time, {@code value} milliseconds apart. */
        TRICKLE,
        /** Answer a {@code Range} request with 206 and the file from its first byte, saying so in {@code Content-Range}. */
        RANGE_FROM_START,
        /** Answer a {@code Range} request with 206 and a {@code Content-Range} as asked, but the bytes from the file's start. */
        RANGE_MISLABELED,
        /** Answer with {@link #answer()} instead of the real answer. */
        ANSWER
    }

    /**
     * A made-up answer.
     *
     * @param status  the status code
     * @param headers response headers
     * @param body    the body (empty for none)
     */
    public record Answer(int status, Map<String, String> headers, byte[] body) {

        /** Copies the headers. */
        public Answer {
            headers = Map.copyOf(headers);
        }
    }

    /** Answers {@code status} (e.g. 503) with {@code Retry-After: retryAfterSeconds} ({@code -1}: no header). */
    public static Fault status(String pathContains, int status, int retryAfterSeconds, int times) {
        return new Fault(Kind.STATUS, pathContains, times, status, retryAfterSeconds, null);
    }

    /** Drops the connection after {@code bytes} of the body, once. */
    public static Fault dropAfter(String pathContains, long bytes) {
        return new Fault(Kind.DROP, pathContains, 1, bytes, -1, null);
    }

    /** Delays the answer by {@code millis}, {@code times} times. */
    public static Fault delay(String pathContains, long millis, int times) {
        return new Fault(Kind.DELAY, pathContains, times, millis, -1, null);
    }

    /** Sends the real answer one byte every {@code millisPerByte}, {@code times} times. */
    public static Fault trickle(String pathContains, long millisPerByte, int times) {
        return new Fault(Kind.TRICKLE, pathContains, times, millisPerByte, -1, null);
    }

    /** Answers the next {@code Range} request with the whole file from byte 0 (status 206, honest {@code Content-Range}). */
    public static Fault rangeFromStart(String pathContains) {
        return new Fault(Kind.RANGE_FROM_START, pathContains, 1, 0, -1, null);
    }

    /** Answers the next {@code Range} request with the asked-for {@code Content-Range} but bytes from the file's start. */
    public static Fault rangeMislabeled(String pathContains) {
        return new Fault(Kind.RANGE_MISLABELED, pathContains, 1, 0, -1, null);
    }

    /** Answers {@code times} requests with {@code status}, {@code headers} and {@code body} instead of the real answer. */
    public static Fault answer(String pathContains, int times, int status, Map<String, String> headers, byte[] body) {
        return new Fault(Kind.ANSWER, pathContains, times, 0, -1, new Answer(status, headers, body));
    }

    /** Whether this fault acts on a response body (and so passes over {@code HEAD} requests). */
    boolean concernsBody() {
        return kind == Kind.DROP || kind == Kind.TRICKLE || kind == Kind.RANGE_FROM_START || kind == Kind.RANGE_MISLABELED;
    }

    /** This made-up answer, sent only after {@code millis} milliseconds. */
    public Fault after(long millis) {
        if (kind != Kind.ANSWER) {
            throw new IllegalStateException("only a made-up answer can be delayed this way; use Fault.delay");
        }
        return new Fault(kind, pathContains, times, millis, retryAfter, answer);
    }
}
