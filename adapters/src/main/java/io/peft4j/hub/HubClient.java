package io.peft4j.hub;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.OkHttpClient;

/**
 * The Hugging Face Hub from Java: search, model info, file listings, downloads into
 * huggingface_hub's own cache (so Python and Java share it), and adapter uploads.
 *
 * <p>One immutable client, built once and reused (it holds a connection pool):
 * <pre>{@code
 * try (HubClient hub = HubClient.builder().build()) {  // HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE, HF_HUB_OFFLINE
 *     hub.search(SearchQuery.builder().adaptersOf("meta-llama/Llama-3.2-1B").limit(10).build())
 *        .forEach(m -> System.out.println(m.id()));
 *     Path dir = hub.snapshot("org/adapter", "main", List.of());
 * }
 * }</pre>
 * The token goes only to the endpoint's own host, never elsewhere and never into logs; requests
 * are retried on 408/429/5xx and connection faults (never on an unknown host); offline mode makes
 * no request at all.
 *
 * <p>Every answer is bounded: an API call (retries included) must finish within the
 * {@linkplain Builder#timeout timeout}, a listing (search, file tree) within the same timeout of time
 * spent waiting on the Hub and {@link #MAX_PAGES} pages, a JSON answer within 64 MiB and 128
 * levels of nesting, and a download is abandoned when less than 1 KiB arrives within the
 * {@linkplain Builder#stallTimeout stall timeout}.
 * Answers that do not have the shape of the Hub's are refused. Closing the client releases its
 * connections; a closed client refuses further requests.
 */
public final class HubClient implements AutoCloseable {

    /** The most pages one listing follows through {@code Link: rel="next"} (huggingface_hub follows them without end). */
    public static final int MAX_PAGES = 1000;


    private final HubHttp http;
    private final HubCache cache;
    private final boolean offline;
    private final String token;
    private final FileDownloader downloader;

    private HubClient(HubHttp http, HubCache cache, boolean offline, String token, Duration stallTimeout) {
        this.http = http;
        this.cache = cache;
        this.offline = offline;
        this.token = token;
        this.downloader = new FileDownloader(http, cache, stallTimeout);
    }

    /** A builder whose defaults come from the process environment. */
    public static Builder builder() {
        return new Builder(System.getenv());
    }

    /** The Hub address requests go to. */
    public String endpoint() {
        return http.endpoint.toString().replaceAll("/$", "");
    }

    /** The cache files are downloaded into. */
    public HubCache cache() {
        return cache;
    }

    /** Whether this client is offline (answers from the cache only, makes no request). */
    public boolean isOffline() {
        return offline;
    }

    /**
     * Searches models; results arrive lazily, page by page, following the Hub's {@code Link} header.
     * The stream holds no resources, so it needs no closing.
     */
    public Stream<ModelSummary> search(SearchQuery query) {
        requireOnline("search the Hub");
        HttpUrl.Builder url = http.endpoint.newBuilder().addPathSegment("api").addPathSegment("models");
        if (query.text() != null && !query.text().isBlank()) {
            url.addQueryParameter("search", query.text());
        }
        if (query.author() != null) {
            url.addQueryParameter("author", query.author());
        }
        query.filters().forEach(f -> url.addQueryParameter("filter", f));
        if (query.sort() != null) {
            url.addQueryParameter("sort", query.sort().apiName());
        }
        if (query.limit() > 0) {
            url.addQueryParameter("limit", Integer.toString(query.limit()));
        }
        url.addQueryParameter("full", "true");
        Stream<ModelSummary> all = paged(url.build(), null, null, HubJson::summary);
        return query.limit() > 0 ? all.limit(query.limit()) : all;
    }

    /** Information on {@code repo} at {@code revision} (branch, tag or commit), with file sizes. */
    public ModelInfo modelInfo(String repo, String revision) {
        RepoId id = RepoId.of(repo);
        requireOnline("read the info of " + id);
        HttpUrl.Builder url = http.modelApi(id);
        if (revision != null) {
            url.addPathSegment("revision").addPathSegment(RepoPaths.checkRevision(id, revision));
        }
        url.addQueryParameter("blobs", "true");
        HubHttp.Page answer = http.getJson(url.build(), id, revision);
        return HubJson.info(answer.body(), answer.source());
    }

    /** Every file of {@code repo} at {@code revision}, recursively, with sizes and LFS sha256. */
    public List<RepoFile> listFiles(String repo, String revision) {
        RepoId id = RepoId.of(repo);
        requireOnline("list the files of " + id);
        HttpUrl url = http.modelApi(id).addPathSegment("tree").addPathSegment(RepoPaths.checkRevision(id, revision))
                .addQueryParameter("recursive", "true").addQueryParameter("expand", "false").build();
        return paged(url, id, revision, HubJson::treeFile).filter(f -> f != null).toList();
    }

    /** Downloads one file (or finds it in the cache) and returns its path in the snapshot folder. */
    public Path download(String repo, String path, String revision) {
        return download(repo, path, revision, DownloadListener.NONE);
    }

    /** {@link #download(String, String, String)} reporting progress to {@code listener}. */
    public Path download(String repo, String path, String revision, DownloadListener listener) {
        RepoId id = RepoId.of(repo);
        RepoPaths.checkFile(id, path);
        RepoPaths.checkRevision(id, revision);
        if (offline) {
            return cache.cachedFile(id, revision, path).orElseThrow(() -> new NotInCacheException(
                    "offline (HF_HUB_OFFLINE) and " + path + " of " + id + " at " + revision + " is not in the cache " + cache.root()));
        }
        return downloader.download(id, path, revision, listener);
    }

    /**
     * Bytes {@code [start, start + length)} of one file, read with an HTTP range request and never
     * cached: for looking at file headers (a safetensors header, say) without downloading the file.
     * Redirects are followed; the token stays with the Hub's own host.
     */
    public byte[] readRange(String repo, String path, String revision, long start, int length) {
        RepoId id = RepoId.of(repo);
        RepoPaths.checkFile(id, path);
        RepoPaths.checkRevision(id, revision);
        requireOnline("read part of " + path + " of " + id);
        Request request = new Request.Builder().url(http.resolveUrl(id, revision, path))
                .header("Range", "bytes=" + start + "-" + (start + length - 1)).build();
        try (Response response = http.execute(http.api, request)) {
            HubErrors.check(response, id, revision, path);
            byte[] body = response.body().byteStream().readNBytes(length + 1);
            if (response.code() != 206 || body.length != length) {
                throw new HubHttpException(id + "/" + path + ": asked for " + length + " bytes at " + start + ", got "
                        + body.length + " (HTTP " + response.code() + ")", response.code(), null);
            }
            return body;
        } catch (IOException e) {
            throw new HubHttpException(id + "/" + path + ": reading bytes at " + start + " failed: " + e.getMessage(), 0, e);
        }
    }

    /**
     * Downloads the files of {@code repo} at {@code revision} that match any of {@code includeGlobs}
     * (all files when empty; {@code *} also matches {@code /}, as in huggingface_hub) and returns
     * the snapshot folder. Offline, returns the cached snapshot folder of the revision.
     */
    public Path snapshot(String repo, String revision, List<String> includeGlobs) {
        return snapshot(repo, revision, includeGlobs, DownloadListener.NONE);
    }

    /** {@link #snapshot(String, String, List)} reporting progress to {@code listener}. */
    public Path snapshot(String repo, String revision, List<String> includeGlobs, DownloadListener listener) {
        RepoId id = RepoId.of(repo);
        RepoPaths.checkRevision(id, revision);
        if (offline) {
            return cache.cachedSnapshot(id, revision).orElseThrow(() -> new NotInCacheException(
                    "offline (HF_HUB_OFFLINE) and no snapshot of " + id + " at " + revision + " is in the cache " + cache.root()));
        }
        ModelInfo info;
        try {
            info = modelInfo(repo, revision);
        } catch (HubHttpException e) {
            return cache.cachedSnapshot(id, revision).orElseThrow(() -> e);
        }
        GlobFilter filter = new GlobFilter(includeGlobs);
        for (RepoFile file : info.files()) {
            if (filter.matches(file.path())) {
                downloader.download(id, file.path(), info.sha(), listener);
            }
        }
        cache.writeRef(id, revision, info.sha());
        Path dir = cache.snapshotDir(id, info.sha());
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        return dir;
    }

    /** Pushes an adapter directory to {@code repo} on the {@code main} branch, creating the repository if needed. */
    public CommitInfo upload(Path adapterDir, String repo) {
        return upload(adapterDir, repo, UploadOptions.DEFAULT);
    }

    /** Pushes every file of {@code dir} to {@code repo} in one commit, as {@code push_to_hub}/{@code upload_folder} do. */
    public CommitInfo upload(Path dir, String repo, UploadOptions options) {
        RepoId id = RepoId.of(repo);
        requireOnline("upload to " + id);
        if (token == null) {
            throw new HubException("uploading to " + id + " needs a token with write access: set HF_TOKEN");
        }
        return new Uploader(http).upload(dir, id, options);
    }

    private void requireOnline(String what) {
        if (offline) {
            throw new NotInCacheException("offline (HF_HUB_OFFLINE is set): cannot " + what);
        }
    }

    /**
     * The entries of a listing, page after page as the consumer asks for them, following the
     * {@code Link} header for at most {@link #MAX_PAGES} pages and the client's timeout of time
     * spent waiting on the Hub (time the consumer spends between pages does not count).
     */
    private <T> Stream<T> paged(HttpUrl first, RepoId repo, String revision, BiFunction<JsonNode, String, T> parse) {
        Iterator<T> pages = new Iterator<>() {
            private HttpUrl next = first;
            private String source;
            private int pagesRead;
            private Duration waited = Duration.ZERO;
            private Iterator<JsonNode> current = Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext() && next != null) {
                    String listing = HubHttp.withoutQuery(first);
                    if (pagesRead == MAX_PAGES) {
                        throw new HubHttpException("the listing " + listing + " still had more pages after " + MAX_PAGES
                                + " (the most followed): narrow it down or ask for fewer results", 0, null);
                    }
                    Duration left = http.timeout.minus(waited);
                    if (left.isNegative() || left.isZero()) {
                        throw listingTimeout(listing);
                    }
                    long start = System.nanoTime();
                    HubHttp.Page page;
                    try {
                        page = http.getJson(next, repo, revision, left);
                    } catch (HubHttpException e) {
                        if (pagesRead > 0 && System.nanoTime() - start >= left.toNanos()) {
                            throw listingTimeout(listing);
                        }
                        throw e;
                    }
                    waited = waited.plusNanos(System.nanoTime() - start);
                    pagesRead++;
                    source = page.source();
                    if (!page.body().isArray()) {
                        throw new HubHttpException("the answer from " + source + " is not a listing from a Hugging Face Hub:"
                                + " expected a JSON array", 0, null);
                    }
                    List<JsonNode> items = new ArrayList<>();
                    page.body().forEach(items::add);
                    current = items.iterator();
                    next = page.next();
                }
                return current.hasNext();
            }

            private HubHttpException listingTimeout(String listing) {
                return new HubHttpException("the listing " + listing + " did not finish within " + http.timeout.toSeconds()
                        + " s (the Hub client's time limit) after " + pagesRead + " pages", 0, null);
            }

            @Override
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return parse.apply(current.next(), source);
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(pages, Spliterator.ORDERED), false);
    }

    /** Releases the connections; later requests fail with a {@link HubException}. */
    @Override
    public void close() {
        http.close();
    }

    /** The default {@linkplain Builder#timeout timeout} of one API call. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

    /** Builds a {@link HubClient}; anything not set comes from the environment variables huggingface_hub reads. */
    public static final class Builder {
        private Map<String, String> env;
        private String endpoint;
        private String token;
        private boolean tokenSet;
        private Path cacheDir;
        private Boolean offline;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration readTimeout;
        private Duration timeout = DEFAULT_TIMEOUT;
        private Duration stallTimeout = Duration.ofSeconds(30);
        private RetryPolicy retryPolicy = RetryPolicy.DEFAULT;

        private Builder(Map<String, String> env) {
            this.env = env;
        }

        /** Reads defaults from {@code env} instead of the process environment (for tests and embedding). */
        public Builder environment(Map<String, String> env) {
            this.env = Map.copyOf(env);
            return this;
        }

        /** The Hub address, e.g. {@code https://huggingface.co} (default: {@code HF_ENDPOINT}). */
        public Builder endpoint(String endpoint) {
            this.endpoint = endpoint;
            return this;
        }

        /** The access token, or null for none (default: {@code HF_TOKEN}, else the saved token file). */
        public Builder token(String token) {
            this.token = token;
            this.tokenSet = true;
            return this;
        }

        /** The cache directory (default: {@code HF_HUB_CACHE}, else {@code $HF_HOME/hub}). */
        public Builder cacheDir(Path cacheDir) {
            this.cacheDir = cacheDir;
            return this;
        }

        /** Offline mode: no request at all, answers from the cache (default: {@code HF_HUB_OFFLINE}). */
        public Builder offline(boolean offline) {
            this.offline = offline;
            return this;
        }

        /** Time allowed to open a connection (default 10 s, as huggingface_hub). */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connect timeout");
            return this;
        }

        /**
         * Time allowed between two reads of a response (default: {@code HF_HUB_DOWNLOAD_TIMEOUT}
         * seconds, else 10 s, as huggingface_hub).
         */
        public Builder readTimeout(Duration timeout) {
            this.readTimeout = positive(timeout, "read timeout");
            return this;
        }

        /**
         * The most one API call may take, retries and waits included, and the most time a listing
         * may spend waiting on the Hub (default 120 s; huggingface_hub has no such limit). Downloads
         * of file contents are bounded by the {@linkplain #stallTimeout stall timeout} instead.
         */
        public Builder timeout(Duration timeout) {
            this.timeout = positive(timeout, "timeout");
            return this;
        }

        /**
         * A download receiving less than 1 KiB in this long is abandoned (default 30 s, as curl's
         * {@code --speed-limit 1024 --speed-time 30}).
         */
        public Builder stallTimeout(Duration timeout) {
            this.stallTimeout = positive(timeout, "stall timeout");
            return this;
        }

        private static Duration positive(Duration d, String what) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, got " + d);
            }
            return d;
        }

        /** How failed requests are retried (default {@link RetryPolicy#DEFAULT}). */
        public Builder retryPolicy(RetryPolicy policy) {
            this.retryPolicy = policy;
            return this;
        }

        /** The client. */
        public HubClient build() {
            HubSettings settings = new HubSettings(env);
            String address = endpoint != null ? endpoint : settings.endpoint();
            HttpUrl base = HttpUrl.parse(address);
            if (base == null) {
                throw new HubException("not a usable Hub address: '" + address + "' (check HF_ENDPOINT)");
            }
            String secret = tokenSet ? token : settings.token();
            OkHttpClient.Builder ok = new OkHttpClient.Builder()
                    .connectTimeout(connectTimeout)
                    .readTimeout(readTimeout != null ? readTimeout : settings.downloadTimeout())
                    .writeTimeout(readTimeout != null ? readTimeout : settings.downloadTimeout())
                    .retryOnConnectionFailure(true)
                    .addInterceptor(new RetryInterceptor(retryPolicy));
            if (secret != null) {
                ok.addNetworkInterceptor(new AuthInterceptor(base, secret));
            }
            HubHttp http = new HubHttp(base, ok.build(), retryPolicy, timeout);
            HubCache cache = new HubCache(cacheDir != null ? cacheDir : settings.cacheDir());
            return new HubClient(http, cache, offline != null ? offline : settings.offline(), secret, stallTimeout);
        }
    }
}
