package io.peft4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.bridge.PythonRuntime;
import io.peft4j.hub.testing.Fault;
import io.peft4j.hub.testing.LocalHub;
import io.peft4j.hub.testing.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One cache, two libraries: what Java's {@link HubClient} downloads, huggingface_hub finds offline,
 * and the reverse, both downloading from the same {@link LocalHub}. Python runs embedded through
 * the bridge (the Python environment is created on first use when none is configured).
 */
class HubPythonCrossCheckTest {

    private static final List<String> FILES = List.of("adapter_config.json", "adapter_model.safetensors", "nested/dir/notes.md");

    private static PythonRuntime python;

    @TempDir Path cache;
    private LocalHub hub;
    private String commit;
    private byte[] weights;

    @BeforeAll
    static void startPython() {
        python = PythonRuntime.get();
        python.call("runtime", "add_path", Path.of("src/test/python").toAbsolutePath().toString());
    }

    @BeforeEach
    void startHub() throws Exception {
        hub = LocalHub.start();
        weights = new byte[2_500_000];
        new Random(3).nextBytes(weights);
        commit = hub.createRepo("acme/lora").adapterOf("acme/base")
                .file("adapter_config.json", "{\"peft_type\": \"LORA\", \"r\": 8}".getBytes(StandardCharsets.UTF_8))
                .file("adapter_model.safetensors", weights)
                .file("nested/dir/notes.md", "# notes\n".getBytes(StandardCharsets.UTF_8))
                .commit("adapter");
    }

    @AfterEach
    void stopHub() {
        if (hub != null) {
            hub.close();
        }
    }

    private HubClient java(boolean offline) {
        return HubClient.builder().environment(Map.of()).token(null).endpoint(hub.endpoint()).cacheDir(cache).offline(offline).build();
    }

    @Test
    void pythonFindsOfflineWhatJavaDownloaded() throws Exception {
        Path snapshot = java(false).snapshot("acme/lora", "main", List.of());
        hub.close();
        for (String file : FILES) {
            List<?> found = (List<?>) python.call("hub_crosscheck", "read_offline", cache.toString(), "acme/lora", file, "main");
            assertEquals(snapshot.resolve(file).toString(), found.get(0), file);
            assertEquals(sha256(Files.readAllBytes(snapshot.resolve(file))), found.get(1), file);
        }
        assertEquals(sha256(weights), sha256(Files.readAllBytes(snapshot.resolve("adapter_model.safetensors"))));
        assertEquals(snapshot.toString(), python.call("hub_crosscheck", "snapshot_offline", cache.toString(), "acme/lora", "main"));
        assertEquals(List.of(List.of(), List.of(List.of("acme/lora", List.of("main"), FILES))),
                python.call("hub_crosscheck", "scan", cache.toString()), "huggingface_hub's scanner sees a healthy cache");
    }

    @Test
    void javaDownloadsPassHuggingfaceHubsOwnChecksumVerification() {
        hub.inject(Fault.dropAfter("/lfs/", 1_000_000));
        java(false).snapshot("acme/lora", "main", List.of());
        assertEquals(List.of(3L, List.of(), List.of()), python.call("hub_crosscheck", "verify", hub.endpoint(), cache.toString(), "acme/lora", "main"),
                "huggingface_hub checks every file as Java did: git blob sha1 for regular files, sha256 for LFS");
        assertEquals(List.of("bytes=1000000-"), hub.requests().stream().map(RecordedRequest::range)
                .filter(r -> r != null).toList(), "the LFS file was resumed");
    }

    @Test
    void javaFindsOfflineWhatPythonDownloaded() throws Exception {
        for (String file : FILES) {
            python.call("hub_crosscheck", "download", hub.endpoint(), cache.toString(), "acme/lora", file, "main");
        }
        hub.clearRequests();
        HubClient offline = java(true);
        Path snapshot = cache.resolve("models--acme--lora/snapshots/" + commit);
        for (String file : FILES) {
            Path found = offline.download("acme/lora", file, "main");
            assertEquals(snapshot.resolve(file), found);
            assertEquals(sha256(Files.readAllBytes(hub.fileOf("acme/lora", "main", file))), sha256(Files.readAllBytes(found)));
        }
        assertEquals(snapshot, offline.snapshot("acme/lora", "main", List.of()));
        assertEquals(List.of(), hub.requests(), "offline means no request at all");
    }

    @Test
    void bothLibrariesFillOneCacheTogether() throws Exception {
        python.call("hub_crosscheck", "download", hub.endpoint(), cache.toString(), "acme/lora", "adapter_config.json", "main");
        java(false).snapshot("acme/lora", "main", List.of());
        List<?> found = (List<?>) python.call("hub_crosscheck", "read_offline", cache.toString(), "acme/lora", "adapter_model.safetensors", commit);
        assertEquals(sha256(weights), found.get(1));
        List<?> scan = (List<?>) python.call("hub_crosscheck", "scan", cache.toString());
        assertEquals(List.of(), scan.get(0));
        assertTrue(Files.isSymbolicLink(cache.resolve("models--acme--lora/snapshots/" + commit + "/adapter_config.json")));
    }

    @Test
    void searchAgreesWithListModels() {
        hub.pageSize(2);
        for (int i = 0; i < 5; i++) {
            hub.createRepo("org" + (i % 2) + "/lora-" + i).adapterOf(i < 3 ? "acme/base" : "other/base").stats(10L * i, 5 - i)
                    .file("adapter_config.json", "{}".getBytes(StandardCharsets.UTF_8)).commit("c");
        }
        List<SearchQuery> queries = List.of(
                SearchQuery.builder().adaptersOf("acme/base").sort(SearchQuery.Sort.DOWNLOADS).build(),
                SearchQuery.builder().text("lora").author("org1").build(),
                SearchQuery.builder().filter("peft").sort(SearchQuery.Sort.LIKES).limit(3).build());
        HubClient client = java(false);
        for (SearchQuery q : queries) {
            Map<String, Object> kwargs = new HashMap<>();
            kwargs.put("filters", q.filters());
            if (q.text() != null) {
                kwargs.put("search", q.text());
            }
            if (q.author() != null) {
                kwargs.put("author", q.author());
            }
            if (q.sort() != null) {
                kwargs.put("sort", q.sort().apiName());
            }
            if (q.limit() > 0) {
                kwargs.put("limit", q.limit());
            }
            Object python = HubPythonCrossCheckTest.python.invoke(Object.class, "hub_crosscheck", "search_ids", List.of(hub.endpoint()), kwargs);
            assertEquals(python, client.search(q).map(ModelSummary::id).toList(), q.toString());
        }
    }

    @Test
    void uploadsAreReadableByTheOtherLibrary(@TempDir Path adapter) throws Exception {
        hub.acceptToken("hf_write");
        Files.write(adapter.resolve("adapter_model.safetensors"), weights);
        Files.writeString(adapter.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\"}");
        HubClient writer = HubClient.builder().environment(Map.of()).endpoint(hub.endpoint()).cacheDir(cache).token("hf_write").build();
        String javaCommit = writer.upload(adapter, "me/from-java").commitOid();
        Object path = python.call("hub_crosscheck", "download", hub.endpoint(), cache.resolve("py").toString(),
                "me/from-java", "adapter_model.safetensors", "main");
        assertEquals(sha256(weights), sha256(Files.readAllBytes(Path.of((String) path))));
        assertTrue(((String) path).contains(javaCommit));

        byte[] other = weights.clone();
        other[0] ^= 1; // new content, so huggingface_hub really uploads it through LFS
        Files.write(adapter.resolve("adapter_model.safetensors"), other);
        hub.clearRequests();
        String pythonCommit = (String) python.call("hub_crosscheck", "upload_folder", hub.endpoint(), "hf_write", adapter.toString(), "me/from-python");
        assertEquals(hub.commitOf("me/from-python", "main"), pythonCommit);
        assertTrue(hub.requests().stream().anyMatch(r -> r.method().equals("PUT")), "huggingface_hub must have used the LFS upload");
        Path back = java(false).download("me/from-python", "adapter_model.safetensors", "main");
        assertEquals(sha256(other), sha256(Files.readAllBytes(back)));
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
