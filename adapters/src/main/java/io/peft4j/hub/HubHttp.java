package io.peft4j.hub;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The HTTP side shared by the client's operations: the OkHttp clients, addresses, bounded JSON,
 * errors. API calls (JSON, {@code HEAD}, range reads) run on {@link #api}, whose every call has an
 * overall deadline, retries included; file bodies run on {@link #transfer}, which has none (a large
 * file may take an hour) and is guarded against stalls by the downloader instead.
 */
final class HubHttp {

    /** The largest JSON answer read (huggingface_hub has no limit; a 1000-model search page is a few MB). */
    static final long MAX_JSON_BYTES = 64L << 20;
    /** The deepest JSON nesting read (the Hub's answers nest about ten levels; the safetensors reference allows 128). */
    static final int MAX_JSON_DEPTH = 128;

    private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");

    final HttpUrl endpoint;
    /** API calls: JSON, {@code HEAD}, range reads; each call has {@link #timeout} as its overall deadline. */
    final OkHttpClient api;
    /** Same as {@link #api}, but redirects are returned rather than followed. */
    final OkHttpClient noRedirects;
    /** File bodies (download {@code GET}, LFS upload {@code PUT}): no overall deadline. */
    final OkHttpClient transfer;
    final ObjectMapper json;
    final RetryPolicy retry;
    final Duration timeout;
    private volatile boolean closed;

    HubHttp(HttpUrl endpoint, OkHttpClient base, RetryPolicy retry, Duration timeout) {
        this.endpoint = endpoint;
        this.transfer = base.newBuilder().callTimeout(Duration.ZERO).build();
        this.api = base.newBuilder().callTimeout(timeout).build();
        this.noRedirects = api.newBuilder().followRedirects(false).followSslRedirects(false).build();
        this.retry = retry;
        this.timeout = timeout;
        this.json = new ObjectMapper(JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_JSON_DEPTH).build()).build());
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
        return execute(http.newCall(request));
    }

    /** Runs a call made by the caller (to adjust its timeout, say). */
    Response execute(Call call) {
        if (closed) {
            throw new HubException("this HubClient is closed");
        }
        try {
            return call.execute();
        } catch (IOException e) {
            throw networkFault(call, e);
        }
    }

    /**
     * One page of JSON, where it came from (after redirects), and the address of the next page
     * from the {@code Link} header (null when last).
     */
    record Page(JsonNode body, String source, HttpUrl next) {}

    /** GETs JSON within {@code deadline}, mapping errors to typed exceptions about {@code repo}/{@code revision}. */
    Page getJson(HttpUrl url, RepoId repo, String revision, Duration deadline) {
        Request request = new Request.Builder().url(url).header("Accept", "application/json").build();
        Call call = api.newCall(request);
        call.timeout().timeout(Math.max(1, deadline.toNanos()), TimeUnit.NANOSECONDS);
        try (Response response = execute(call)) {
            HubErrors.check(response, repo, revision, null);
            HttpUrl source = response.request().url();
            return new Page(readJson(response, deadline), withoutQuery(source), nextLink(source, response.header("Link")));
        }
    }

    /** GETs JSON within the client's timeout. */
    Page getJson(HttpUrl url, RepoId repo, String revision) {
        return getJson(url, repo, revision, timeout);
    }

    /**
     * The body of a successful answer as JSON, refusing more than {@link #MAX_JSON_BYTES} or
     * nesting deeper than {@link #MAX_JSON_DEPTH}; every failure is one line naming the address.
     * {@code limit} is the call's time limit, for the message when it runs out mid-body.
     */
    JsonNode readJson(Response response, Duration limit) {
        String from = withoutQuery(response.request().url());
        long declared = response.body().contentLength();
        if (declared > MAX_JSON_BYTES) {
            throw new HubHttpException("the answer from " + from + " is " + declared + " bytes, more than the "
                    + MAX_JSON_BYTES + " a Hub answer may have", response.code(), null);
        }
        try (InputStream in = new Capped(response.body().byteStream(), from)) {
            JsonNode body = json.readTree(in);
            if (body == null || body.isMissingNode()) {
                throw new HubHttpException("the answer from " + from + " is empty, not JSON", response.code(), null);
            }
            return body;
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")";
            throw new HubHttpException("the answer from " + from + " is not usable JSON: "
                    + e.getOriginalMessage().lines().findFirst().orElse("") + where, response.code(), null);
        } catch (IOException e) {
            throw networkFault(response.request().url(), e, limit);
        }
    }

    /** Marks the client closed: every later request fails at once. */
    void close() {
        closed = true;
        api.dispatcher().executorService().shutdown();
        api.connectionPool().evictAll();
    }

    /** The {@code rel="next"} address of a {@code Link} header, resolved against {@code base}, or null. */
    static HttpUrl nextLink(HttpUrl base, String link) {
        if (link == null) {
            return null;
        }
        Matcher m = NEXT_LINK.matcher(link);
        return m.find() ? base.resolve(m.group(1)) : null;
    }

    /** A network fault of {@code call} as one line: what was asked, and what went wrong (time limit, stall, DNS, refusal). */
    private static HubHttpException networkFault(Call call, IOException e) {
        long limit = call.timeout().timeoutNanos();
        return networkFault(call.request().url(), e, limit > 0 ? Duration.ofNanos(limit) : null);
    }

    /** As {@link #networkFault(HttpUrl, IOException)}; an interruption by OkHttp's call timeout names {@code limit}. */
    static HubHttpException networkFault(HttpUrl url, IOException e, Duration limit) {
        if (limit != null && e instanceof InterruptedIOException && !(e instanceof SocketTimeoutException)) {
            return new HubHttpException("no complete answer from " + withoutQuery(url) + " within "
                    + Math.max(1, Math.round(limit.toMillis() / 1000.0)) + " s (the Hub client's time limit for one call,"
                    + " retries included)", 0, e);
        }
        return networkFault(url, e);
    }

    static HubHttpException networkFault(HttpUrl url, IOException e) {
        String what = e instanceof UnknownHostException ? "unknown host " + url.host()
                : e instanceof SocketTimeoutException ? "no data for too long (" + e.getMessage() + ")"
                : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        return new HubHttpException("cannot reach " + withoutQuery(url) + " (" + what.lines().findFirst().orElse("") + ")", 0, e);
    }

    static String withoutQuery(HttpUrl url) {
        return url.newBuilder().query(null).build().toString();
    }

    /** Stops reading a body past {@link #MAX_JSON_BYTES}, whatever its headers said. */
    private static final class Capped extends FilterInputStream {
        private final String from;
        private long read;

        Capped(InputStream in, String from) {
            super(in);
            this.from = from;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            count(b < 0 ? 0 : 1);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            count(Math.max(n, 0));
            return n;
        }

        private void count(int n) {
            read += n;
            if (read > MAX_JSON_BYTES) {
                throw new HubHttpException("the answer from " + from + " is more than the " + MAX_JSON_BYTES
                        + " bytes a Hub answer may have", 0, null);
            }
        }
    }
}
