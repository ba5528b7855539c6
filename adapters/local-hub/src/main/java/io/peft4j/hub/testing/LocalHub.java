package io.peft4j.hub.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A local Hugging Face Hub for tests and demos: a real HTTP server on 127.0.0.1 that answers like
 * the Hub (search with {@code Link} pagination, model info, tree, {@code resolve} with the Hub's
 * headers, gated, private and missing repositories, and the upload endpoints: create, preupload,
 * LFS batch, commit). LFS files are redirected to a second server addressed as {@code localhost},
 * a different origin, as the Hub redirects to its CDN; both record every request with its
 * {@code Authorization} header. Faults can be injected (see {@link Fault}): status codes with
 * {@code Retry-After}, connections dropped mid-body, slow answers, bodies trickled a byte at a time,
 * wrong answers to {@code Range} requests, and made-up answers (a redirect elsewhere, endless
 * pagination, oversized or malformed JSON, wrong headers).
 *
 * <p>Point huggingface_hub or peft4j at it with {@code HF_ENDPOINT=http://127.0.0.1:PORT}. From the
 * command line: {@code java -cp ... io.peft4j.hub.testing.LocalHub --port 8765 --repos DIR [--token T]}, where
 * every folder under DIR that holds files is served as a repository ({@code owner/name} for
 * folders two levels down, {@code local/name} for folders one level down).
 */
public final class LocalHub implements AutoCloseable {

    private static final int DEFAULT_PAGE_SIZE = 1000;

    private final HttpServer hub;
    private final HttpServer cdn;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Path storage;
    final Map<String, HostedRepo> repos = new ConcurrentHashMap<>();
    /** LFS objects by sha256, uploaded or hosted. */
    final Map<String, HostedFile> lfsObjects = new ConcurrentHashMap<>();
    final Set<String> tokens = ConcurrentHashMap.newKeySet();
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final List<Map.Entry<Fault, AtomicInteger>> faults = new CopyOnWriteArrayList<>();
    volatile int pageSize = DEFAULT_PAGE_SIZE;
    private final AtomicInteger clock = new AtomicInteger();

    private LocalHub(int port) throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        storage = Files.createTempDirectory("peft4j-localhub");
        hub = HttpServer.create(new InetSocketAddress(loopback, port), 64);
        cdn = HttpServer.create(new InetSocketAddress(loopback, 0), 64);
        hub.createContext("/", recorded(new ApiRoutes(this)));
        cdn.createContext("/", recorded(new CdnRoutes(this)));
        hub.setExecutor(executor);
        cdn.setExecutor(executor);
        hub.start();
        cdn.start();
    }

    /** Starts a hub on a free port. */
    public static LocalHub start() throws IOException {
        return new LocalHub(0);
    }

    /** Starts a hub on {@code port} (0 for a free one). */
    public static LocalHub start(int port) throws IOException {
        return new LocalHub(port);
    }

    /** The address to use as {@code HF_ENDPOINT}, {@code http://127.0.0.1:PORT}. */
    public String endpoint() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    /** The CDN origin LFS downloads are redirected to, {@code http://localhost:PORT2} (a different host name). */
    public String cdnBase() {
        return "http://localhost:" + cdn.getAddress().getPort();
    }

    /** Accepts {@code token} as a valid token with access to every repository, gated and private ones included. */
    public LocalHub acceptToken(String token) {
        tokens.add(token);
        return this;
    }

    /** Search and tree pages hold at most this many entries (default 1000), so tests see pagination. */
    public LocalHub pageSize(int size) {
        pageSize = size;
        return this;
    }

    /** Starts describing a new repository; {@link RepoSpec#commit(String)} publishes it. */
    public RepoSpec createRepo(String id) {
        return new RepoSpec(this, id);
    }

    /** The commit {@code revision} (a branch or commit) of {@code repo} stands for. */
    public String commitOf(String repo, String revision) {
        HostedRepo r = repos.get(repo);
        HostedRepo.Commit c = r == null ? null : r.resolve(revision);
        if (c == null) {
            throw new IllegalArgumentException("no revision " + revision + " in " + repo);
        }
        return c.sha();
    }

    /** The bytes of {@code path} at {@code revision} of {@code repo}, where they are stored on the server. */
    public Path fileOf(String repo, String revision, String path) {
        HostedRepo r = repos.get(repo);
        HostedRepo.Commit c = r == null ? null : r.resolve(revision);
        HostedFile f = c == null ? null : c.files().get(path);
        if (f == null) {
            throw new IllegalArgumentException("no file " + path + " at " + revision + " in " + repo);
        }
        return f.content();
    }

    /** The paths of the files at {@code revision} of {@code repo}. */
    public List<String> filesOf(String repo, String revision) {
        return List.copyOf(repos.get(repo).resolve(revision).files().keySet());
    }

    /** Injects {@code fault} into the next matching requests. */
    public LocalHub inject(Fault fault) {
        faults.add(Map.entry(fault, new AtomicInteger(fault.times())));
        return this;
    }

    /** Every request received so far, in order. */
    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    /** Forgets the recorded requests. */
    public void clearRequests() {
        requests.clear();
    }

    /** Stops both servers and deletes stored uploads; closing twice does nothing more. */
    @Override
    public synchronized void close() {
        if (!Files.exists(storage)) {
            return;
        }
        hub.stop(0);
        cdn.stop(0);
        executor.shutdownNow();
        try (Stream<Path> walk = Files.walk(storage)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fresh, strictly increasing time for commits, so sorting by last modified is stable. */
    Instant tick() {
        return Instant.parse("2025-01-01T00:00:00Z").plusSeconds(60L * clock.incrementAndGet());
    }

    /** Stores uploaded bytes under {@code sha256} and describes them as {@code path}. */
    HostedFile store(String path, byte[] content) {
        try {
            Path file = Files.createTempFile(storage, "object", ".bin");
            Files.write(file, content);
            return HostedFile.of(path, file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where an uploaded LFS object is kept. */
    Path newObjectFile() throws IOException {
        return Files.createTempFile(storage, "lfs", ".bin");
    }

    /**
     * The fault to apply to a {@code method} request for {@code path}, consuming one use of it, or
     * null. Faults of the body (drop, trickle, wrong range) pass over {@code HEAD} requests, which have none.
     */
    Fault takeFault(String method, String path) {
        for (Map.Entry<Fault, AtomicInteger> f : faults) {
            if (path.contains(f.getKey().pathContains()) && !(method.equals("HEAD") && f.getKey().concernsBody())
                    && f.getValue().getAndDecrement() > 0) {
                return f.getKey();
            }
        }
        return null;
    }

    private HttpHandler recorded(HttpHandler handler) {
        return ex -> {
            requests.add(new RecordedRequest(ex.getRequestHeaders().getFirst("Host"), ex.getRequestMethod(),
                    ex.getRequestURI().getRawPath() + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery()),
                    ex.getRequestHeaders().getFirst("Authorization"), ex.getRequestHeaders().getFirst("Range")));
            try (HttpExchange exchange = ex) {
                handler.handle(exchange);
            }
        };
    }

    /** Describes a repository before publishing it with {@link #commit(String)}. */
    public static final class RepoSpec {
        private final LocalHub hub;
        private final HostedRepo repo;
        private final Map<String, HostedFile> files = new LinkedHashMap<>();

        private RepoSpec(LocalHub hub, String id) {
            this.hub = hub;
            this.repo = hub.repos.getOrDefault(id, new HostedRepo(id, hub.tick()));
        }

        /** Adds tags (e.g. {@code peft}, {@code base_model:adapter:org/base}). */
        public RepoSpec tags(String... tags) {
            repo.tags.addAll(List.of(tags));
            return this;
        }

        /** Declares a PEFT adapter of {@code base}: library {@code peft} and the Hub's base-model tags. */
        public RepoSpec adapterOf(String base) {
            repo.libraryName = "peft";
            repo.baseModel = base;
            return tags("peft", "safetensors", "base_model:" + base, "base_model:adapter:" + base);
        }

        /** Download and like counts. */
        public RepoSpec stats(long downloads, long likes) {
            repo.downloads = downloads;
            repo.likes = likes;
            return this;
        }

        /** Files need a token with access (the hub's accepted tokens have it). */
        public RepoSpec gated() {
            repo.gated = true;
            return this;
        }

        /** The repository is invisible without an accepted token. */
        public RepoSpec privateRepo() {
            repo.privateRepo = true;
            return this;
        }

        /** Adds a file with these bytes. */
        public RepoSpec file(String path, byte[] content) {
            files.put(path, hub.store(path, content));
            return this;
        }

        /** Adds a file served straight from {@code content} (not copied; for big benchmark files). */
        public RepoSpec file(String path, Path content) {
            files.put(path, HostedFile.of(path, content));
            return this;
        }

        /** Publishes the files as a commit on {@code main} and returns its hash. */
        public String commit(String message) {
            files.values().stream().filter(HostedFile::lfs).forEach(f -> hub.lfsObjects.put(f.sha256(), f));
            HostedRepo.Commit c = repo.commit("main", message, files, List.of(), hub.tick());
            hub.repos.put(repo.id, repo);
            return c.sha();
        }
    }

    /**
     * Runs a hub serving the folders under {@code --repos DIR} on {@code --port P} until killed;
     * each {@code --token T} is accepted for gated, private and upload requests.
     */
    public static void main(String[] args) throws IOException {
        int port = 8765;
        Path dir = null;
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--repos" -> dir = Path.of(args[i + 1]);
                case "--token" -> tokens.add(args[i + 1]);
                default -> throw new IllegalArgumentException("usage: LocalHub [--port P] [--repos DIR] [--token T]...");
            }
        }
        LocalHub hub = start(port);
        tokens.forEach(hub::acceptToken);
        if (dir != null) {
            hub.serveFolders(dir);
        }
        System.out.println("LocalHub on " + hub.endpoint() + " (CDN " + hub.cdnBase() + "), repos: " + String.join(", ", hub.repos.keySet()));
        System.out.println("export HF_ENDPOINT=" + hub.endpoint());
    }

    /** Serves every folder under {@code root} that directly holds files as a repository. */
    public LocalHub serveFolders(Path root) throws IOException {
        List<Path> dirs;
        try (Stream<Path> walk = Files.walk(root, 2)) {
            dirs = walk.filter(Files::isDirectory).filter(d -> !d.equals(root)).sorted().toList();
        }
        for (Path d : dirs) {
            List<Path> files;
            try (Stream<Path> list = Files.list(d)) {
                files = list.filter(Files::isRegularFile).sorted().toList();
            }
            if (files.isEmpty()) {
                continue;
            }
            Path rel = root.relativize(d);
            String id = rel.getNameCount() == 2 ? rel.toString().replace('\\', '/') : "local/" + rel;
            RepoSpec spec = createRepo(id);
            Path config = d.resolve("adapter_config.json");
            if (Files.isRegularFile(config)) {
                String base = Exchanges.JSON.readTree(config.toFile()).path("base_model_name_or_path").asText(null);
                if (base != null) {
                    spec.adapterOf(base);
                }
            }
            for (Path f : files) {
                spec.file(f.getFileName().toString(), f);
            }
            spec.commit("Upload " + id);
        }
        return this;
    }

    /** The repositories, sorted by id. */
    List<HostedRepo> sortedRepos() {
        List<HostedRepo> all = new ArrayList<>(repos.values());
        all.sort(Comparator.comparing(r -> r.id));
        return all;
    }
}
