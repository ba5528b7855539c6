package io.peft4j.hub;

import java.io.IOException;
import java.net.UnknownHostException;
import java.time.Duration;
import okhttp3.Interceptor;
import okhttp3.Response;

/**
 * Retries a call on HTTP 408/429/5xx and on connection faults, as {@link RetryPolicy} says, never
 * past the call's own time limit (OkHttp's call timeout, which spans the retries). An unknown host
 * is not retried: a name that does not resolve now will not resolve in a few seconds either, and a
 * mistyped folder taken for a Hub id must fail at once. Covers API calls and the start of
 * downloads alike; a connection dropped in the middle of a body is resumed by the downloader.
 */
final class RetryInterceptor implements Interceptor {

    private final RetryPolicy policy;

    RetryInterceptor(RetryPolicy policy) {
        this.policy = policy;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        long limit = chain.call().timeout().timeoutNanos();
        long deadline = limit > 0 ? System.nanoTime() + limit : Long.MAX_VALUE;
        for (int attempt = 1; ; attempt++) {
            Response response;
            try {
                response = chain.proceed(chain.request());
            } catch (IOException e) {
                Duration wait = policy.backoff(attempt);
                if (e instanceof UnknownHostException || attempt > policy.maxRetries() || chain.call().isCanceled()
                        || !fits(wait, deadline)) {
                    throw e;
                }
                RetryPolicy.sleep(wait);
                continue;
            }
            if (!RetryPolicy.isRetryable(response.code()) || attempt > policy.maxRetries()) {
                return response;
            }
            Long retryAfter = retryAfterSeconds(response.header("Retry-After"));
            Duration wait = retryAfter != null ? Duration.ofSeconds(retryAfter) : policy.backoff(attempt);
            if ((retryAfter != null && wait.compareTo(policy.maxRetryAfter()) > 0) || !fits(wait, deadline)) {
                return response; // the caller reports the status and the wait the server asked for
            }
            response.close();
            RetryPolicy.sleep(wait);
        }
    }

    private static boolean fits(Duration wait, long deadline) {
        return deadline == Long.MAX_VALUE || System.nanoTime() + wait.toNanos() < deadline;
    }

    /** The delay-seconds form of {@code Retry-After} (the HTTP-date form is ignored, as huggingface_hub does). */
    static Long retryAfterSeconds(String header) {
        if (header == null) {
            return null;
        }
        String v = header.strip();
        if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(Character::isDigit)) {
            return null;
        }
        return Long.parseLong(v);
    }
}
