package io.peft4j.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Downloads one file into the cache the way huggingface_hub's {@code hf_hub_download} does: HEAD
 * on {@code resolve} for commit, etag and size (following redirects only while they stay on the
 * endpoint), then GET of the final location into a unique temporary blob, resumed with
 * {@code Range} when the connection drops, checked against the size and, for LFS files, the
 * sha256, renamed into place and linked from the snapshot.
 */
final class FileDownloader {

    private static final Pattern SHA256 = Pattern.compile("^[0-9a-f]{64}$");
    private static final int MAX_REDIRECTS = 10;
    private static final int BUFFER = 1 << 20;

    private final HubHttp http;
    private final HubCache cache;

    FileDownloader(HubHttp http, HubCache cache) {
        this.http = http;
        this.cache = cache;
    }

    /** What a HEAD on {@code resolve} says about a file. */
    record Metadata(String commit, String etag, long size, HttpUrl location) {}

    Path download(RepoId repo, String path, String revision, DownloadListener listener) {
        if (HubCache.isCommit(revision)) {
            Path pointer = cache.pointer(repo, revision, path);
            if (Files.exists(pointer)) {
                listener.finished(path);
                return pointer;
            }
        }
        Metadata meta;
        try {
            meta = metadata(repo, path, revision);
        } catch (RevisionNotFoundException | EntryNotFoundException e) {
            throw e;
        } catch (HubException e) {
            // The Hub is unreachable, refuses access or fails: a cached copy still answers, as in huggingface_hub.
            Optional<Path> cached = cache.cachedFile(repo, revision, path);
            if (cached.isPresent()) {
                listener.finished(path);
                return cached.get();
            }
            throw e;
        }
        try {
            return fetch(repo, path, revision, meta, listener);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path + " of " + repo + " into the cache " + cache.root(), e);
        }
    }

    Metadata metadata(RepoId repo, String path, String revision) {
        HttpUrl url = http.resolveUrl(repo, revision, path);
        for (int hop = 0; hop < MAX_REDIRECTS; hop++) {
            Request head = new Request.Builder().url(url).head().header("Accept-Encoding", "identity").build();
            try (Response response = http.execute(http.noRedirects, head)) {
                HubErrors.check(response, repo, revision, path);
                String location = response.header("Location");
                boolean redirect = response.isRedirect() && location != null;
                HttpUrl target = redirect ? url.resolve(location) : url;
                if (target == null) {
                    throw new HubHttpException("the Hub redirected " + path + " of " + repo + " to an unusable address", response.code(), null);
                }
                if (redirect && AuthInterceptor.sameOrigin(url, target)) {
                    url = target;
                    continue;
                }
                return metadataOf(repo, path, response, redirect, target);
            }
        }
        throw new HubHttpException("too many redirects resolving " + path + " of " + repo, 0, null);
    }

    private static Metadata metadataOf(RepoId repo, String path, Response response, boolean redirect, HttpUrl location) {
        String commit = response.header("X-Repo-Commit");
        if (commit == null || !HubCache.isCommit(commit)) {
            throw new HubHttpException("the answer for " + path + " of " + repo + " has no X-Repo-Commit header:"
                    + " HF_ENDPOINT does not seem to point at a Hugging Face Hub", response.code(), null);
        }
        String etag = normalizeEtag(response.header("X-Linked-Etag") != null ? response.header("X-Linked-Etag") : response.header("ETag"));
        if (etag == null) {
            throw new HubHttpException("the Hub sent no ETag for " + path + " of " + repo, response.code(), null);
        }
        String size = response.header("X-Linked-Size");
        if (size == null && !redirect) {
            size = response.header("Content-Length");
        }
        return new Metadata(commit, etag, size == null ? -1 : Long.parseLong(size.strip()), location);
    }

    /** Drops a weak-validator prefix and the quotes: {@code W/"abc"} becomes {@code abc}. */
    static String normalizeEtag(String etag) {
        if (etag == null) {
            return null;
        }
        String e = etag.strip();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        e = e.replace("\"", "");
        return e.isEmpty() ? null : e;
    }

    private Path fetch(RepoId repo, String path, String revision, Metadata meta, DownloadListener listener) throws IOException {
        Path pointer = cache.pointer(repo, meta.commit(), path);
        Path blob = cache.blob(repo, meta.etag());
        if (Files.exists(pointer)) {
            cache.writeRef(repo, revision, meta.commit());
            listener.finished(path);
            return pointer;
        }
        cache.writeRef(repo, revision, meta.commit());
        if (!Files.exists(blob)) {
            Path incomplete = cache.newIncompleteBlob(repo, meta.etag());
            try {
                transfer(repo, path, meta, incomplete, listener);
                cache.commitBlob(incomplete, blob);
            } finally {
                Files.deleteIfExists(incomplete);
            }
        }
        cache.link(blob, pointer);
        listener.finished(path);
        return pointer;
    }

    private void transfer(RepoId repo, String path, Metadata meta, Path target, DownloadListener listener) throws IOException {
        MessageDigest sha = SHA256.matcher(meta.etag()).matches() ? sha256() : null;
        listener.started(path, meta.size());
        long written = 0;
        int faults = 0;
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.WRITE)) {
            while (true) {
                Request.Builder get = new Request.Builder().url(meta.location()).header("Accept-Encoding", "identity");
                if (written > 0) {
                    get.header("Range", "bytes=" + written + "-");
                }
                long before = written;
                try (Response response = http.execute(http.client, get.build())) {
                    HubErrors.check(response, repo, meta.commit(), path);
                    if (written > 0 && response.code() != 206) {
                        // The server ignored Range: start over.
                        out.truncate(0);
                        out.position(0);
                        listener.advanced(path, -written);
                        written = 0;
                        if (sha != null) {
                            sha.reset();
                        }
                    }
                    written += copy(response.body().byteStream(), out, sha, path, listener);
                    break;
                } catch (IOException | HubHttpException e) {
                    if (e instanceof HubHttpException h && h.status() != 0) {
                        throw h;
                    }
                    written = out.size();
                    faults = written > before ? 1 : faults + 1;
                    if (faults > http.retry.maxRetries()) {
                        throw new HubHttpException("download of " + path + " from " + repo + " failed after " + written
                                + " bytes: " + e.getMessage(), 0, e);
                    }
                    http.retry.sleep(faults, null);
                }
            }
            out.force(false);
        }
        verify(repo, path, meta, written, sha);
    }

    private static long copy(InputStream in, FileChannel out, MessageDigest sha, String path, DownloadListener listener) throws IOException {
        byte[] buffer = new byte[BUFFER];
        ByteBuffer wrap = ByteBuffer.wrap(buffer);
        long total = 0;
        int n;
        while ((n = in.readNBytes(buffer, 0, buffer.length)) > 0) {
            wrap.clear().limit(n);
            while (wrap.hasRemaining()) {
                out.write(wrap);
            }
            if (sha != null) {
                sha.update(buffer, 0, n);
            }
            total += n;
            listener.advanced(path, n);
        }
        return total;
    }

    private static void verify(RepoId repo, String path, Metadata meta, long written, MessageDigest sha) {
        if (meta.size() >= 0 && written != meta.size()) {
            throw new HubHttpException("download of " + path + " from " + repo + " has " + written
                    + " bytes, the Hub announced " + meta.size(), 0, null);
        }
        if (sha != null) {
            String actual = HexFormat.of().formatHex(sha.digest());
            if (!actual.equals(meta.etag())) {
                throw new HubHttpException("download of " + path + " from " + repo + " is corrupt: sha256 " + actual
                        + ", expected " + meta.etag(), 0, null);
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
