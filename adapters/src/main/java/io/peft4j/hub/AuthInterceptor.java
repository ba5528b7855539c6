package io.peft4j.hub;

import java.io.IOException;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Adds {@code Authorization: Bearer <token>} to requests going to the Hub endpoint's own origin
 * (scheme, host and port) and to no other: installed as a network interceptor, it sees every
 * redirect hop, so a token never reaches a CDN or storage host. The token is never logged.
 */
final class AuthInterceptor implements Interceptor {

    private final HttpUrl endpoint;
    private final String token;

    AuthInterceptor(HttpUrl endpoint, String token) {
        this.endpoint = endpoint;
        this.token = token;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        if (sameOrigin(request.url(), endpoint)) {
            return chain.proceed(request.newBuilder().header("Authorization", "Bearer " + token).build());
        }
        return chain.proceed(request.newBuilder().removeHeader("Authorization").build());
    }

    /** Whether two addresses share scheme, host and port. */
    static boolean sameOrigin(HttpUrl a, HttpUrl b) {
        return a.scheme().equals(b.scheme()) && a.host().equalsIgnoreCase(b.host()) && a.port() == b.port();
    }
}
