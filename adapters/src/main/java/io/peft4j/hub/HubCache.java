package io.peft4j.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * huggingface_hub's cache layout, byte for byte, so Python and Java share one cache:
 * {@code models--{owner}--{name}/blobs/{etag}} holds the content,
 * {@code snapshots/{commit}/{path}} are relative symlinks to the blobs, and
 * {@code refs/{revision}} holds the 40-character commit with no trailing newline. Every write goes
 * to a unique temporary name first and is renamed into place, so a reader (in either language)
 * never sees a partial file; a partial download left by a killed process is resumed or removed by
 * the next download into the same repository.
 */
public final class HubCache {

    private static final Pattern COMMIT = Pattern.compile("^[0-9a-f]{40}$");
    private static final Pattern ETAG = Pattern.compile("^[A-Za-z0-9_.-]{1,128}$");
    private static final String CACHEDIR_TAG = """
            Signature: 8a477f597d28d172789f06886806bc55
            # This file is a cache directory tag created by huggingface_hub.
            # For information about cache directory tags, see:
            #\thttps://bford.info/cachedir/
            """;

    /**
     * A partial download untouched this long belongs to no running download (one that is running
     * writes every few seconds, or is abandoned as stalled within a minute).
     */
    public static final Duration STALE_INCOMPLETE = Duration.ofHours(1);

    private final Path root;

    /** A cache rooted at {@code root} (the {@code HF_HUB_CACHE} directory). */
    public HubCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** The cache directory. */
    public Path root() {
        return root;
    }

    /** Whether {@code revision} is a full 40-character commit hash. */
    public static boolean isCommit(String revision) {
        return COMMIT.matcher(revision).matches();
    }

    /** The folder of one repository, {@code models--owner--name}. */
    public Path repoDir(RepoId repo) {
        return root.resolve(repo.cacheFolderName());
    }

    /** Where the blob with {@code etag} lives. */
    public Path blob(RepoId repo, String etag) {
        if (!ETAG.matcher(etag).matches() || etag.startsWith(".")) {
            throw new HubException("the Hub sent an unusable ETag '" + etag + "' for repository " + repo);
        }
        return repoDir(repo).resolve("blobs").resolve(etag);
    }

    /** Where the snapshot entry for {@code path} at {@code commit} lives. */
    public Path pointer(RepoId repo, String commit, String path) {
        return snapshotDir(repo, commit).resolve(RepoPaths.checkFile(repo, path));
    }

    /** The snapshot folder of {@code commit}. */
    public Path snapshotDir(RepoId repo, String commit) {
        if (!isCommit(commit)) {
            throw new HubException("not a commit hash: '" + commit + "' (repository " + repo + ")");
        }
        return repoDir(repo).resolve("snapshots").resolve(commit);
    }

    /** The commit a revision stands for in the cache: itself when it is a commit, else the content of {@code refs/{revision}}. */
    public Optional<String> commitFor(RepoId repo, String revision) {
        if (isCommit(revision)) {
            return Optional.of(revision);
        }
        Path ref = repoDir(repo).resolve("refs").resolve(RepoPaths.checkRevision(repo, revision));
        if (!Files.isRegularFile(ref)) {
            return Optional.empty();
        }
        try {
            String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
            return isCommit(commit) ? Optional.of(commit) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The cached file for {@code path} at {@code revision}, if the snapshot entry exists (and its blob). */
    public Optional<Path> cachedFile(RepoId repo, String revision, String path) {
        RepoPaths.checkFile(repo, path);
        return commitFor(repo, revision).map(commit -> pointer(repo, commit, path)).filter(Files::exists);
    }

    /** The cached snapshot folder for {@code revision}, if it exists. */
    public Optional<Path> cachedSnapshot(RepoId repo, String revision) {
        return commitFor(repo, revision).map(commit -> snapshotDir(repo, commit)).filter(Files::isDirectory);
    }

    /** Records that {@code revision} is {@code commit}, unless the revision is the commit itself or already recorded. */
    public void writeRef(RepoId repo, String revision, String commit) {
        if (revision.equals(commit)) {
            return;
        }
        Path ref = repoDir(repo).resolve("refs").resolve(RepoPaths.checkRevision(repo, revision));
        try {
            if (Files.isRegularFile(ref) && Files.readString(ref, StandardCharsets.UTF_8).equals(commit)) {
                return;
            }
            Files.createDirectories(ref.getParent());
            Path tmp = ref.resolveSibling(ref.getFileName() + "." + shortId() + ".tmp");
            Files.writeString(tmp, commit, StandardCharsets.UTF_8);
            Files.move(tmp, ref, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The temporary file a download of blob {@code etag} writes to: a partial file a killed download
     * (in either language) left for the same blob, renamed to a fresh unique name so that no other
     * process takes it too, and resumed from its size; else a new, empty, uniquely named file
     * (readable as the umask allows). Partial files of this repository untouched for
     * {@link #STALE_INCOMPLETE} belong to no running download: the largest one for {@code etag}
     * is taken over, the others are removed.
     */
    public Path claimIncompleteBlob(RepoId repo, String etag) throws IOException {
        Path blob = blob(repo, etag);
        Path blobs = blob.getParent();
        Files.createDirectories(blobs);
        writeCacheDirTag();
        Path fresh = blobs.resolve(etag + "." + shortId() + ".incomplete");
        List<Path> stale;
        try (Stream<Path> list = Files.list(blobs)) {
            stale = list.filter(p -> p.getFileName().toString().endsWith(".incomplete")).filter(HubCache::isStale).toList();
        }
        Optional<Path> resumable = stale.stream().filter(p -> p.getFileName().toString().startsWith(etag + "."))
                .filter(Files::isRegularFile).max(Comparator.comparingLong(HubCache::sizeOrZero));
        for (Path p : stale) {
            if (resumable.isPresent() && p.equals(resumable.get())) {
                continue;
            }
            Files.deleteIfExists(p);
        }
        if (resumable.isPresent()) {
            try {
                return Files.move(resumable.get(), fresh, StandardCopyOption.ATOMIC_MOVE);
            } catch (NoSuchFileException | FileAlreadyExistsException e) {
                // another download took it first
            }
        }
        return Files.createFile(fresh);
    }

    private static boolean isStale(Path p) {
        try {
            return Files.getLastModifiedTime(p).toInstant().isBefore(Instant.now().minus(STALE_INCOMPLETE));
        } catch (IOException e) {
            return false;
        }
    }

    private static long sizeOrZero(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    /** Moves a completed temporary file onto its blob name atomically. */
    public void commitBlob(Path incomplete, Path blob) throws IOException {
        Files.move(incomplete, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Makes {@code pointer} a relative symlink to {@code blob} (as {@code ../../blobs/etag}), atomically. */
    public void link(Path blob, Path pointer) throws IOException {
        Files.createDirectories(pointer.getParent());
        Path target = pointer.getParent().relativize(blob);
        Path tmp = pointer.resolveSibling(pointer.getFileName() + "." + shortId() + ".tmp");
        try {
            Files.createSymbolicLink(tmp, target);
        } catch (UnsupportedOperationException | FileAlreadyExistsException e) {
            Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(tmp, pointer, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void writeCacheDirTag() throws IOException {
        Path tag = root.resolve("CACHEDIR.TAG");
        if (!Files.exists(tag)) {
            Path tmp = root.resolve("CACHEDIR.TAG." + shortId() + ".tmp");
            Files.writeString(tmp, CACHEDIR_TAG, StandardCharsets.UTF_8);
            Files.move(tmp, tag, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String shortId() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }
}
