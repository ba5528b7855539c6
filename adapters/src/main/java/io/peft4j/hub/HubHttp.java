package io.peft4j.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/** The HTTP side shared by the client's operations: one OkHttp client, addresses, JSON, errors. */
final class HubHttp {

    private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");

    final HttpUrl endpoint;
    final OkHttpClient client;
    /** Same connection pool and interceptors, but redirects are returned rather than followed. */
    final OkHttpClient noRedirects;
    final ObjectMapper json = new ObjectMapper();
    final RetryPolicy retry;

    HubHttp(HttpUrl endpoint, OkHttpClient client, RetryPolicy retry) {
        this.endpoint = endpoint;
        this.client = client;
        this.noRedirects = client.newBuilder().followRedirects(false).followSslRedirects(false).build();
        this.retry = retry;
    }

    /** {@code {endpoint}/api/models/{owner}/{name}}. */
    HttpUrl.Builder modelApi(RepoId repo) {
        return endpoint.newBuilder().addPathSegment("api").addPathSegment("models").addPathSegments(repo.value());
    }

    /** {@code {endpoint}/{owner}/{name}/resolve/{revision}/{path}} with the revision as one encoded segment. */
    HttpUrl resolveUrl(RepoId repo, String revision, String path) {
        return endpoint.newBuilder().addPathSegments(repo.value()).addPathSegment("resolve")
                .addPathSegment(revision).addPathSegments(path).build();
    }

    /** Runs a request; a connection fault (after retries) becomes a {@link HubHttpException}. */
    Response execute(OkHttpClient http, Request request) {
        try {
            return http.newCall(request).execute();
        } catch (IOException e) {
            throw networkFault(request.url(), e);
        }
    }

    /** One page of JSON plus the address of the next page from the {@code Link} header (null when last). */
    record Page(JsonNode body, HttpUrl next) {}

    /** GETs JSON, mapping errors to typed exceptions about {@code repo}/{@code revision}. */
    Page getJson(HttpUrl url, RepoId repo, String revision) {
        Request request = new Request.Builder().url(url).header("Accept", "application/json").build();
        try (Response response = execute(client, request)) {
            HubErrors.check(response, repo, revision, null);
            JsonNode body = json.readTree(response.body().byteStream());
            return new Page(body, nextLink(url, response.header("Link")));
        } catch (IOException e) {
            throw new HubHttpException("unreadable answer from " + url.newBuilder().query(null).build() + ": " + e.getMessage(), 0, e);
        }
    }

    /** The {@code rel="next"} address of a {@code Link} header, resolved against {@code base}, or null. */
    static HttpUrl nextLink(HttpUrl base, String link) {
        if (link == null) {
            return null;
        }
        Matcher m = NEXT_LINK.matcher(link);
        return m.find() ? base.resolve(m.group(1)) : null;
    }

    static HubHttpException networkFault(HttpUrl url, IOException e) {
        return new HubHttpException("cannot reach " + url.newBuilder().query(null).build() + " (" + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", 0, e);
    }
}
