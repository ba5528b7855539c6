package io.peft4j.hub;

import java.time.Duration;

/**
 * How failed requests are retried: on HTTP 408, 429, 500, 502, 503, 504 and on connection faults,
 * up to {@code maxRetries} times, waiting {@code Retry-After} seconds when the Hub says so, else
 * {@code baseDelay} doubling up to {@code maxDelay} (huggingface_hub's defaults: 5, 1 s, 8 s).
 *
 * @param maxRetries retries after the first attempt
 * @param baseDelay  first wait
 * @param maxDelay   longest backoff wait ({@code Retry-After} is honoured as given, up to five minutes)
 */
public record RetryPolicy(int maxRetries, Duration baseDelay, Duration maxDelay) {

    /** huggingface_hub's defaults. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(5, Duration.ofSeconds(1), Duration.ofSeconds(8));

    /** No retries at all. */
    public static final RetryPolicy NONE = new RetryPolicy(0, Duration.ZERO, Duration.ZERO);

    /** Checks the values. */
    public RetryPolicy {
        if (maxRetries < 0 || baseDelay.isNegative() || maxDelay.compareTo(baseDelay) < 0) {
            throw new IllegalArgumentException("bad retry policy: " + maxRetries + " retries, " + baseDelay + ".." + maxDelay);
        }
    }

    /** Whether an HTTP status is worth retrying. */
    public static boolean isRetryable(int status) {
        return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
    }

    /** The wait before retry number {@code attempt} (1-based), given the server's {@code Retry-After} seconds or null. */
    public Duration delay(int attempt, Long retryAfterSeconds) {
        if (retryAfterSeconds != null) {
            return Duration.ofSeconds(Math.clamp(retryAfterSeconds, 0, 300));
        }
        Duration backoff = baseDelay.multipliedBy(1L << Math.min(attempt - 1, 20));
        return backoff.compareTo(maxDelay) > 0 ? maxDelay : backoff;
    }

    /** Sleeps for {@link #delay}; an interrupt ends the wait and is kept on the thread. */
    void sleep(int attempt, Long retryAfterSeconds) {
        try {
            Thread.sleep(delay(attempt, retryAfterSeconds));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubHttpException("interrupted while waiting to retry", 0, e);
        }
    }
}
