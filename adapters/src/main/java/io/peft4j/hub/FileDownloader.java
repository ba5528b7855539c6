package io.peft4j.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Downloads one file into the cache the way huggingface_hub's {@code hf_hub_download} does: HEAD
 * on {@code resolve} for commit, etag and size (following redirects only while they stay on the
 * endpoint), then GET of the final location into a temporary blob, resumed with {@code Range} when
 * the connection drops (the answer's {@code Content-Range} must start where the file stands),
 * checked against the size and the etag (sha256 of LFS files, git blob sha1 of the others, the two
 * checksums huggingface_hub's cache verification uses), renamed into place and linked from the
 * snapshot. A partial file left by a killed download of the same blob is resumed; a download
 * receiving less than {@link #LOW_SPEED_BYTES} in the stall window is abandoned.
 */
final class FileDownloader {

    /** A download slower than this many bytes per stall window is abandoned (curl's {@code --speed-limit}). */
    static final long LOW_SPEED_BYTES = 1024;

    private static final Pattern SHA256 = Pattern.compile("^[0-9a-f]{64}$");
    private static final Pattern GIT_SHA1 = Pattern.compile("^[0-9a-f]{40}$");
    private static final Pattern CONTENT_RANGE = Pattern.compile("^bytes (\\d{1,18})-(\\d{1,18})/(\\d{1,18}|\\*)$");
    private static final int MAX_REDIRECTS = 10;
    private static final int BUFFER = 1 << 20;

    private final HubHttp http;
    private final HubCache cache;
    private final Duration stallWindow;

    FileDownloader(HubHttp http, HubCache cache, Duration stallWindow) {
        this.http = http;
        this.cache = cache;
        this.stallWindow = stallWindow;
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
        String sizeHeader = response.header("X-Linked-Size") != null ? "X-Linked-Size" : redirect ? null : "Content-Length";
        long size = sizeHeader == null || response.header(sizeHeader) == null ? -1 : size(repo, path, sizeHeader, response.header(sizeHeader));
        return new Metadata(commit, etag, size, location);
    }

    private static long size(RepoId repo, String path, String header, String value) {
        String v = value.strip();
        if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new HubHttpException("the answer for " + path + " of " + repo + " has an unusable " + header
                    + " header '" + io.peft4j.core.Printable.of(v.length() > 40 ? v.substring(0, 40) + "..." : v)
                    + "' (expected a size in bytes)", 0, null);
        }
        return Long.parseLong(v);
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
            Path incomplete = cache.claimIncompleteBlob(repo, meta.etag());
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

    /**
     * Fills {@code target} (which may hold the start of the file from a killed download) and checks
     * it; when a resumed start turns out not to match, downloads the whole file once more.
     */
    private void transfer(RepoId repo, String path, Metadata meta, Path target, DownloadListener listener) throws IOException {
        long resumed = Files.size(target);
        if (meta.size() < 0 || resumed > meta.size()) {
            Files.write(target, new byte[0]);
            resumed = 0;
        }
        listener.started(path, meta.size());
        listener.advanced(path, resumed);
        String sha256 = receive(repo, path, meta, target, listener);
        Optional<String> problem = problem(repo, path, meta, target, sha256);
        if (problem.isPresent() && resumed > 0) {
            listener.advanced(path, -Files.size(target));
            Files.write(target, new byte[0]);
            sha256 = receive(repo, path, meta, target, listener);
            problem = problem(repo, path, meta, target, sha256);
        }
        if (problem.isPresent()) {
            throw new HubHttpException(problem.get(), 0, null);
        }
    }

    /**
     * Appends the rest of the file to {@code target}, resuming with {@code Range} after a dropped
     * connection; returns the sha256 of the whole file when the etag is one (an LFS file), else null.
     */
    private String receive(RepoId repo, String path, Metadata meta, Path target, DownloadListener listener) throws IOException {
        MessageDigest sha = SHA256.matcher(meta.etag()).matches() ? digest("SHA-256") : null;
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long written = out.size();
            if (sha != null) {
                hash(out, written, sha); // the start a killed download left
            }
            out.position(written);
            int faults = 0;
            boolean complete = written > 0 && written == meta.size();
            while (!complete) {
                Request.Builder get = new Request.Builder().url(meta.location()).header("Accept-Encoding", "identity");
                if (written > 0) {
                    get.header("Range", "bytes=" + written + "-");
                }
                long before = written;
                try (Response response = http.execute(http.transfer, get.build())) {
                    HubErrors.check(response, repo, meta.commit(), path);
                    long start = written > 0 ? startOf(repo, path, response, written) : 0;
                    if (start != written) {
                        // The server ignored Range or started over: so do we.
                        out.truncate(0);
                        out.position(0);
                        listener.advanced(path, -written);
                        written = 0;
                        if (sha != null) {
                            sha.reset();
                        }
                    }
                    written += copy(response.body().byteStream(), out, sha, path, listener);
                    complete = true;
                } catch (Stalled e) {
                    throw new HubHttpException("download of " + path + " from " + repo + " stalled: " + e.getMessage(), 0, e);
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
                    RetryPolicy.sleep(http.retry.backoff(faults));
                }
            }
            out.force(false);
        }
        return sha == null ? null : HexFormat.of().formatHex(sha.digest());
    }

    private static void hash(FileChannel file, long length, MessageDigest sha) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
        for (long at = 0; at < length; ) {
            buffer.clear().limit((int) Math.min(BUFFER, length - at));
            int n = file.read(buffer, at);
            if (n < 0) {
                throw new IOException("file shrank while reading it");
            }
            sha.update(buffer.array(), 0, n);
            at += n;
        }
    }

    /**
     * Where the body of an answer to {@code Range: bytes=written-} starts: {@code written} for a 206
     * that continues the file, 0 for a 200 (Range ignored) or a 206 from the first byte; anything
     * else (no or malformed {@code Content-Range}, another start) is refused.
     */
    private static long startOf(RepoId repo, String path, Response response, long written) {
        if (response.code() != 206) {
            return 0;
        }
        String header = response.header("Content-Range");
        Matcher m = header == null ? null : CONTENT_RANGE.matcher(header.strip());
        if (m == null || !m.matches()) {
            throw new HubHttpException("resuming " + path + " of " + repo + " at byte " + written + ": the answer (HTTP 206)"
                    + (header == null ? " has no Content-Range" : " has an unusable Content-Range '"
                    + io.peft4j.core.Printable.of(header) + "'"), 206, null);
        }
        long start = Long.parseLong(m.group(1));
        if (start != written && start != 0) {
            throw new HubHttpException("resuming " + path + " of " + repo + " at byte " + written
                    + ": the server sent bytes from " + start + " (Content-Range: " + header.strip() + ")", 206, null);
        }
        return start;
    }

    /**
     * Copies the body to {@code out} in writes of up to {@link #BUFFER} bytes (hashed as they are
     * written, so the digest always matches the file), abandoning it when less than
     * {@link #LOW_SPEED_BYTES} arrive within the stall window.
     */
    private long copy(InputStream in, FileChannel out, MessageDigest sha, String path, DownloadListener listener) throws IOException {
        byte[] buffer = new byte[BUFFER];
        long total = 0;
        int filled = 0;
        long windowStart = System.nanoTime();
        long windowBytes = 0;
        int n;
        try {
            while ((n = in.read(buffer, filled, buffer.length - filled)) >= 0) {
                filled += n;
                windowBytes += n;
                if (filled == buffer.length) {
                    total += write(buffer, filled, out, sha, path, listener);
                    filled = 0;
                }
                long now = System.nanoTime();
                if (now - windowStart >= stallWindow.toNanos()) {
                    if (windowBytes < LOW_SPEED_BYTES) {
                        throw new Stalled(windowBytes + " bytes in the last " + stallWindow.toMillis() / 1000.0
                                + " s, less than " + LOW_SPEED_BYTES);
                    }
                    windowStart = now;
                    windowBytes = 0;
                }
            }
        } finally {
            total += write(buffer, filled, out, sha, path, listener); // what arrived is kept, for a resume
        }
        return total;
    }

    private static int write(byte[] buffer, int length, FileChannel out, MessageDigest sha, String path,
                             DownloadListener listener) throws IOException {
        ByteBuffer wrap = ByteBuffer.wrap(buffer, 0, length);
        while (wrap.hasRemaining()) {
            out.write(wrap);
        }
        if (sha != null) {
            sha.update(buffer, 0, length);
        }
        listener.advanced(path, length);
        return length;
    }

    /**
     * What is wrong with the finished file: its size, or the sha256 (LFS, computed while writing)
     * or git blob sha1 (regular file, read back: such files are small) its etag names.
     */
    private static Optional<String> problem(RepoId repo, String path, Metadata meta, Path file, String sha256) throws IOException {
        long size = Files.size(file);
        if (meta.size() >= 0 && size != meta.size()) {
            return Optional.of("download of " + path + " from " + repo + " has " + size + " bytes, the Hub announced " + meta.size());
        }
        String actual;
        if (sha256 != null) {
            actual = sha256;
        } else if (GIT_SHA1.matcher(meta.etag()).matches()) {
            MessageDigest sha1 = digest("SHA-1");
            sha1.update(("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII));
            try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                hash(in, size, sha1);
            }
            actual = HexFormat.of().formatHex(sha1.digest());
        } else {
            return Optional.empty(); // an etag of another form names no checksum: the size is all there is to check
        }
        return actual.equals(meta.etag()) ? Optional.empty() : Optional.of("download of " + path + " from " + repo
                + " is corrupt: " + (sha256 != null ? "sha256 " : "git blob sha1 ") + actual + ", expected " + meta.etag());
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A transfer that stayed under the low-speed limit for a whole window. */
    private static final class Stalled extends IOException {
        Stalled(String message) {
            super(message);
        }
    }
}
