package io.peft4j.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.hub.testing.Fault;
import io.peft4j.hub.testing.LocalHub;
import io.peft4j.hub.testing.RecordedRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubClientDownloadTest {

    private static final String TOKEN = "hf_test_token_123";
    private static final RetryPolicy FAST = new RetryPolicy(3, Duration.ofMillis(20), Duration.ofMillis(100));

    @TempDir Path cache;
    private LocalHub hub;
    private byte[] weights;
    private String commit;

    @BeforeEach
    void start() throws Exception {
        hub = LocalHub.start().acceptToken(TOKEN);
        weights = new byte[3_000_000];
        new Random(7).nextBytes(weights);
        commit = hub.createRepo("acme/lora").adapterOf("acme/base")
                .file("adapter_config.json", "{\"r\": 8}".getBytes(StandardCharsets.UTF_8))
                .file("adapter_model.safetensors", weights)
                .file("sub/dir/notes.txt", "hello".getBytes(StandardCharsets.UTF_8))
                .commit("first");
        hub.createRepo("acme/gated").gated().file("a.txt", "x".getBytes(StandardCharsets.UTF_8)).commit("c");
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private HubClient.Builder client() {
        return HubClient.builder().environment(Map.of()).token(null).endpoint(hub.endpoint()).cacheDir(cache).retryPolicy(FAST);
    }

    @Test
    void downloadsIntoHuggingFaceHubLayout() throws Exception {
        HubClient client = client().token(TOKEN).build();
        Path config = client.download("acme/lora", "adapter_config.json", "main");
        Path model = client.download("acme/lora", "adapter_model.safetensors", "main");
        Path nested = client.download("acme/lora", "sub/dir/notes.txt", "main");

        Path repo = cache.resolve("models--acme--lora");
        assertEquals(repo.resolve("snapshots").resolve(commit).resolve("adapter_model.safetensors"), model);
        assertEquals(Path.of("../../blobs/" + sha256(weights)), Files.readSymbolicLink(model));
        assertEquals(Path.of("../../../../blobs/" + gitOid("hello")), Files.readSymbolicLink(nested));
        assertEquals(Path.of("../../blobs/" + gitOid("{\"r\": 8}")), Files.readSymbolicLink(config));
        assertArrayEquals(weights, Files.readAllBytes(model));
        assertArrayEquals(commit.getBytes(StandardCharsets.US_ASCII), Files.readAllBytes(repo.resolve("refs/main")));
        assertTrue(Files.isRegularFile(cache.resolve("CACHEDIR.TAG")));
        try (Stream<Path> blobs = Files.list(repo.resolve("blobs"))) {
            assertTrue(blobs.noneMatch(p -> p.getFileName().toString().contains("incomplete")));
        }
    }

    @Test
    void tokenGoesToTheHubHostOnlyNeverToTheCdn() {
        HubClient client = client().token(TOKEN).build();
        client.download("acme/lora", "adapter_model.safetensors", "main");
        List<RecordedRequest> requests = hub.requests();
        List<RecordedRequest> cdn = requests.stream().filter(r -> r.host().startsWith("localhost:")).toList();
        List<RecordedRequest> api = requests.stream().filter(r -> r.host().startsWith("127.0.0.1:")).toList();
        assertFalse(cdn.isEmpty(), "the LFS file must come from the second host");
        assertFalse(api.isEmpty());
        cdn.forEach(r -> assertNull(r.authorization(), "token leaked to " + r.host() + r.path()));
        api.forEach(r -> assertEquals("Bearer " + TOKEN, r.authorization()));
    }

    @Test
    void secondDownloadOfACommitMakesNoRequest() {
        HubClient client = client().build();
        client.download("acme/lora", "adapter_config.json", commit);
        hub.clearRequests();
        client.download("acme/lora", "adapter_config.json", commit);
        assertEquals(List.of(), hub.requests());
    }

    @Test
    void offlineResolvesThroughRefsWithoutAnyRequest() {
        client().build().snapshot("acme/lora", "main", List.of());
        hub.clearRequests();
        HubClient offline = client().environment(Map.of("HF_HUB_OFFLINE", "1")).build();
        assertTrue(offline.isOffline());
        Path p = offline.download("acme/lora", "sub/dir/notes.txt", "main");
        assertEquals(cache.resolve("models--acme--lora/snapshots/" + commit + "/sub/dir/notes.txt"), p);
        assertEquals(cache.resolve("models--acme--lora/snapshots/" + commit), offline.snapshot("acme/lora", "main", List.of()));
        assertThrows(NotInCacheException.class, () -> offline.download("acme/lora", "missing.bin", "main"));
        assertThrows(NotInCacheException.class, () -> offline.download("acme/other", "a", "main"));
        assertThrows(NotInCacheException.class, () -> offline.modelInfo("acme/lora", "main"));
        assertEquals(List.of(), hub.requests());
    }

    @Test
    void snapshotDownloadsOnlyIncludedFiles() throws IOException {
        Path dir = client().build().snapshot("acme/lora", "main", List.of("*.json", "sub/"));
        assertTrue(Files.exists(dir.resolve("adapter_config.json")));
        assertTrue(Files.exists(dir.resolve("sub/dir/notes.txt")));
        assertFalse(Files.exists(dir.resolve("adapter_model.safetensors")));
    }

    @Test
    void droppedConnectionIsResumedWithRange() throws IOException {
        hub.inject(Fault.dropAfter("/lfs/", 1_000_000));
        Path model = client().build().download("acme/lora", "adapter_model.safetensors", "main");
        assertArrayEquals(weights, Files.readAllBytes(model));
        assertTrue(hub.requests().stream().anyMatch(r -> r.path().startsWith("/lfs/") && r.method().equals("GET")),
                "the CDN must have been asked again");
        long gets = hub.requests().stream().filter(r -> r.path().startsWith("/lfs/") && r.method().equals("GET")).count();
        assertEquals(2, gets, hub.requests().toString());
    }

    @Test
    void retriesOn503HonouringRetryAfter() {
        hub.inject(Fault.status("/resolve/", 503, 1, 1));
        long start = System.nanoTime();
        client().build().download("acme/lora", "adapter_config.json", "main");
        assertTrue(System.nanoTime() - start >= 900_000_000L, "Retry-After: 1 must be waited for");
        assertEquals(2, hub.requests().stream().filter(r -> r.path().contains("/resolve/") && r.method().equals("HEAD")).count());
    }

    @Test
    void retriesApiCallsOnServerErrorsAndSlowAnswers() {
        hub.inject(Fault.status("/api/models/acme/lora", 500, -1, 2));
        assertEquals(commit, client().build().modelInfo("acme/lora", "main").sha());
        hub.inject(Fault.delay("/api/models/acme/lora", 1500, 1));
        HubClient impatient = client().readTimeout(Duration.ofMillis(300)).build();
        assertEquals(commit, impatient.modelInfo("acme/lora", "main").sha());
    }

    @Test
    void givesUpAfterTheRetriesWithAnHttpError() {
        hub.inject(Fault.status("/api/models/acme/lora", 503, -1, 10));
        HubHttpException e = assertThrows(HubHttpException.class, () -> client().build().modelInfo("acme/lora", "main"));
        assertEquals(503, e.status());
        assertEquals(4, hub.requests().size());
    }

    @Test
    void corruptLfsContentIsRejectedAndNothingIsCached() throws IOException {
        Path stored = hub.fileOf("acme/lora", "main", "adapter_model.safetensors");
        byte[] tampered = weights.clone();
        tampered[12345] ^= 1;
        Files.write(stored, tampered);
        HubHttpException e = assertThrows(HubHttpException.class,
                () -> client().build().download("acme/lora", "adapter_model.safetensors", "main"));
        assertTrue(e.getMessage().contains("sha256"), e.getMessage());
        try (Stream<Path> files = Files.walk(cache.resolve("models--acme--lora/blobs"))) {
            assertEquals(List.of(), files.filter(Files::isRegularFile).toList());
        }
    }

    @Test
    void errorsCarryTheHubsMeaning() {
        HubClient anonymous = client().build();
        assertThrows(RepositoryNotFoundException.class, () -> anonymous.download("acme/nope", "a.txt", "main"));
        assertThrows(RepositoryNotFoundException.class, () -> anonymous.modelInfo("acme/nope", null));
        GatedRepositoryException gated = assertThrows(GatedRepositoryException.class,
                () -> anonymous.download("acme/gated", "a.txt", "main"));
        assertTrue(gated.getMessage().contains("acme/gated") && gated.getMessage().contains("HF_TOKEN"), gated.getMessage());
        assertThrows(RevisionNotFoundException.class, () -> anonymous.download("acme/lora", "adapter_config.json", "v9"));
        EntryNotFoundException missing = assertThrows(EntryNotFoundException.class,
                () -> anonymous.download("acme/lora", "nope.json", "main"));
        assertEquals("file nope.json not found in repository acme/lora at revision main", missing.getMessage());
        assertEquals("x", read(client().token(TOKEN).build().download("acme/gated", "a.txt", "main")));
    }

    @Test
    void pathsThatEscapeTheCacheAreRefusedBeforeAnyRequest() {
        HubClient client = client().build();
        for (String bad : List.of("../x", "a/../../x", "/etc/passwd", "a//b", "./a", "a\\b")) {
            assertThrows(HubException.class, () -> client.download("acme/lora", bad, "main"), bad);
        }
        assertThrows(HubException.class, () -> client.download("acme/lora", "a.txt", "../../x"));
        assertThrows(HubException.class, () -> client.download("../evil", "a.txt", "main"));
        assertEquals(List.of(), hub.requests());
    }

    @Test
    void unreachableHubFallsBackToTheCache() {
        client().build().download("acme/lora", "adapter_config.json", "main");
        String endpoint = hub.endpoint();
        hub.close();
        HubClient client = HubClient.builder().environment(Map.of()).token(null).endpoint(endpoint).cacheDir(cache).retryPolicy(RetryPolicy.NONE).build();
        assertTrue(Files.exists(client.download("acme/lora", "adapter_config.json", "main")));
        assertThrows(HubHttpException.class, () -> client.download("acme/lora", "sub/dir/notes.txt", "main"));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    static String gitOid(String content) throws Exception {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        sha1.update(("blob " + bytes.length + "\0").getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(sha1.digest(bytes));
    }
}
