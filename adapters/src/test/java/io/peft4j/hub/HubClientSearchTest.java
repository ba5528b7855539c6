package io.peft4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.hub.testing.LocalHub;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubClientSearchTest {

    @TempDir Path cache;
    private LocalHub hub;
    private HubClient client;

    @BeforeEach
    void start() throws Exception {
        hub = LocalHub.start().pageSize(2);
        byte[] cfg = "{}".getBytes(StandardCharsets.UTF_8);
        hub.createRepo("acme/llama-lora-a").adapterOf("meta/llama").stats(50, 3).file("adapter_config.json", cfg).commit("c");
        hub.createRepo("acme/llama-lora-b").adapterOf("meta/llama").stats(10, 9).file("adapter_config.json", cfg).commit("c");
        hub.createRepo("bob/llama-lora-c").adapterOf("meta/llama").stats(70, 1).file("adapter_config.json", cfg).commit("c");
        hub.createRepo("bob/gpt2-lora").adapterOf("gpt2").stats(99, 0).file("adapter_config.json", cfg).commit("c");
        hub.createRepo("meta/llama").tags("transformers").gated().stats(1000, 500).file("config.json", cfg).commit("c");
        client = HubClient.builder().environment(Map.of()).token(null).endpoint(hub.endpoint()).cacheDir(cache).build();
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private List<String> ids(SearchQuery q) {
        return client.search(q).map(ModelSummary::id).toList();
    }

    @Test
    void followsLinkPagesToTheEnd() {
        assertEquals(List.of("acme/llama-lora-a", "acme/llama-lora-b", "bob/gpt2-lora", "bob/llama-lora-c", "meta/llama"),
                ids(SearchQuery.builder().build()));
        assertEquals(3, hub.requests().size(), "5 results in pages of 2");
    }

    @Test
    void findsTheAdaptersOfABaseModelSortedByDownloads() {
        SearchQuery q = SearchQuery.builder().adaptersOf("meta/llama").sort(SearchQuery.Sort.DOWNLOADS).build();
        assertEquals(List.of("bob/llama-lora-c", "acme/llama-lora-a", "acme/llama-lora-b"), ids(q));
        assertTrue(hub.requests().getFirst().path().contains("filter=peft&filter=base_model%3Aadapter%3Ameta%2Fllama"),
                hub.requests().getFirst().path());
        ModelSummary top = client.search(q).findFirst().orElseThrow();
        assertEquals("bob", top.author());
        assertEquals(70, top.downloads());
        assertEquals("meta/llama", top.baseModel());
        assertFalse(top.gated());
    }

    @Test
    void textAuthorSortAndLimit() {
        assertEquals(List.of("acme/llama-lora-b", "acme/llama-lora-a"),
                ids(SearchQuery.builder().author("acme").sort(SearchQuery.Sort.LIKES).build()));
        assertEquals(List.of("bob/gpt2-lora"), ids(SearchQuery.builder().text("GPT2").build()));
        hub.clearRequests();
        assertEquals(3, ids(SearchQuery.builder().text("llama").limit(3).build()).size());
        assertTrue(hub.requests().getFirst().path().contains("limit=3"));
        ModelSummary base = client.search(SearchQuery.builder().text("meta/llama").build()).findFirst().orElseThrow();
        assertTrue(base.gated());
        assertEquals(1000, base.downloads());
    }

    @Test
    void resultsAreFetchedLazily() {
        hub.clearRequests();
        client.search(SearchQuery.builder().build()).limit(2).toList();
        assertEquals(1, hub.requests().size());
    }

    @Test
    void infoAndFileListingGiveSizesAndLfsHashes() throws Exception {
        byte[] weights = new byte[4096];
        weights[1] = 1;
        String commit = hub.createRepo("acme/weights").adapterOf("meta/llama").file("adapter_model.safetensors", weights)
                .file("a/b/readme.md", "# hi".getBytes(StandardCharsets.UTF_8)).commit("w");
        ModelInfo info = client.modelInfo("acme/weights", "main");
        assertEquals(commit, info.sha());
        assertEquals("meta/llama", info.baseModel());
        assertTrue(info.isPeftAdapter());
        RepoFile w = info.files().stream().filter(f -> f.path().equals("adapter_model.safetensors")).findFirst().orElseThrow();
        assertEquals(4096, w.size());
        assertEquals(HubClientDownloadTest.sha256(weights), w.lfsSha256());
        List<RepoFile> files = client.listFiles("acme/weights", commit);
        assertEquals(List.of("a/b/readme.md", "adapter_model.safetensors"), files.stream().map(RepoFile::path).sorted().toList());
        RepoFile readme = files.stream().filter(f -> f.path().equals("a/b/readme.md")).findFirst().orElseThrow();
        assertFalse(readme.isLfs());
        assertEquals(HubClientDownloadTest.gitOid("# hi"), readme.oid());
    }
}
