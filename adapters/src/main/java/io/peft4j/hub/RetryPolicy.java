package io.peft4j.hub;

import java.time.Duration;

/**
 * How failed requests are retried: on HTTP 408, 429, 500, 502, 503, 504 and on connection faults
 * (but never on an unknown host), up to {@code maxRetries} times, waiting {@code baseDelay}
 * doubling up to {@code maxDelay} (huggingface_hub's {@code http_backoff}: 5 retries, 1 s doubling
 * to 8 s). A {@code Retry-After} the server sends is waited for when it is at most
 * {@code maxRetryAfter} and fits in the call's time limit; otherwise the call fails at once with a
 * message saying how long the server asked to wait (huggingface_hub waits whatever it is told).
 *
 * @param maxRetries    retries after the first attempt
 * @param baseDelay     first wait
 * @param maxDelay      longest backoff wait
 * @param maxRetryAfter longest {@code Retry-After} waited for
 */
public record RetryPolicy(int maxRetries, Duration baseDelay, Duration maxDelay, Duration maxRetryAfter) {

    /** The longest {@code Retry-After} waited for by default. */
    public static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(60);

    /** huggingface_hub's backoff, with {@code Retry-After} waited for up to a minute. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(5, Duration.ofSeconds(1), Duration.ofSeconds(8));

    /** No retries at all. */
    public static final RetryPolicy NONE = new RetryPolicy(0, Duration.ZERO, Duration.ZERO, Duration.ZERO);

    /** Checks the values. */
    public RetryPolicy {
        if (maxRetries < 0 || baseDelay.isNegative() || maxDelay.compareTo(baseDelay) < 0 || maxRetryAfter.isNegative()) {
            throw new IllegalArgumentException("bad retry policy: " + maxRetries + " retries, " + baseDelay + ".." + maxDelay
                    + ", Retry-After up to " + maxRetryAfter);
        }
    }

    /** A policy waiting {@code Retry-After} up to {@link #MAX_RETRY_AFTER}. */
    public RetryPolicy(int maxRetries, Duration baseDelay, Duration maxDelay) {
        this(maxRetries, baseDelay, maxDelay, MAX_RETRY_AFTER);
    }

    /** Whether an HTTP status is worth retrying. */
    public static boolean isRetryable(int status) {
        return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
    }

    /** The backoff before retry number {@code attempt} (1-based) when the server named no wait. */
    public Duration backoff(int attempt) {
        Duration backoff = baseDelay.multipliedBy(1L << Math.min(attempt - 1, 20));
        return backoff.compareTo(maxDelay) > 0 ? maxDelay : backoff;
    }

    /** Sleeps for {@code wait}; an interrupt ends the wait and is kept on the thread. */
    static void sleep(Duration wait) {
        try {
            Thread.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubHttpException("interrupted while waiting to retry", 0, e);
        }
    }
}
