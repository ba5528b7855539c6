package io.peft4j.hub;

import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.Response;

/**
 * Retries a call on HTTP 408/429/5xx and on connection faults, as {@link RetryPolicy} says,
 * honouring {@code Retry-After}. Covers API calls and the start of downloads alike; a connection
 * dropped in the middle of a body is resumed by the downloader with {@code Range}.
 */
final class RetryInterceptor implements Interceptor {

    private final RetryPolicy policy;

    RetryInterceptor(RetryPolicy policy) {
        this.policy = policy;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        for (int attempt = 1; ; attempt++) {
            Response response;
            try {
                response = chain.proceed(chain.request());
            } catch (IOException e) {
                if (attempt > policy.maxRetries() || chain.call().isCanceled()) {
                    throw e;
                }
                policy.sleep(attempt, null);
                continue;
            }
            if (!RetryPolicy.isRetryable(response.code()) || attempt > policy.maxRetries()) {
                return response;
            }
            Long retryAfter = retryAfterSeconds(response.header("Retry-After"));
            response.close();
            policy.sleep(attempt, retryAfter);
        }
    }

    /** The delay-seconds form of {@code Retry-After} (the HTTP-date form is ignored, as huggingface_hub does). */
    static Long retryAfterSeconds(String header) {
        if (header == null) {
            return null;
        }
        try {
            return Long.parseLong(header.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
