package io.peft4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.hub.testing.LocalHub;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The one rule for "a local folder or a Hub id[@revision]", and its one-line failures. */
@Timeout(60)
class ModelRefTest {

    @TempDir Path cache;

    @Test
    void anExistingLocalPathWinsAndParsingMakesNoRequest(@TempDir Path local) throws Exception {
        assertEquals(new ModelRef.Local(local.toString(), local), ModelRef.parse(local.toString()));
        Path file = Files.writeString(local.resolve("tokenizer.json"), "{}");
        assertEquals(file, ModelRef.parse(file.toString()).resolve(null, List.of()));
        ModelRef.OnHub hubId = (ModelRef.OnHub) ModelRef.parse("acme/lora@v1.0");
        assertEquals(RepoId.of("acme/lora"), hubId.repo());
        assertEquals("v1.0", hubId.revision());
        assertEquals("main", ((ModelRef.OnHub) ModelRef.parse("gpt2")).revision());
        assertTrue(ModelRef.isHubId("acme/lora"));
        assertFalse(ModelRef.isHubId(local.toString()));
    }

    @Test
    void namesThatCanOnlyBeLocalPathsOrAreNoHubIdsFailInOneLine() {
        assertEquals("./nosuch: no such local file or folder", assertThrows(ModelNotFoundException.class,
                () -> ModelRef.parse("./nosuch")).getMessage());
        assertEquals("/no/such/dir: no such local file or folder", assertThrows(ModelNotFoundException.class,
                () -> ModelRef.parse("/no/such/dir")).getMessage());
        assertEquals("no/such/dir: no such local folder, and not a Hub id of the form owner/name[@revision]",
                assertThrows(ModelNotFoundException.class, () -> ModelRef.parse("no/such/dir")).getMessage());
        assertThrows(ModelNotFoundException.class, () -> ModelRef.parse("acme/lora@../../x"));
        assertFalse(ModelRef.isHubId("no/such/dir"));
    }

    @Test
    void aHubIdResolvesToItsSnapshot() throws Exception {
        try (LocalHub hub = LocalHub.start(); HubClient client = client(hub.endpoint())) {
            String commit = hub.createRepo("acme/lora").file("adapter_config.json", "{}".getBytes(StandardCharsets.UTF_8)).commit("c");
            Path snapshot = ModelRef.parse("acme/lora").resolve(client, List.of());
            assertEquals(cache.resolve("models--acme--lora/snapshots/" + commit), snapshot);
            assertTrue(Files.exists(snapshot.resolve("adapter_config.json")));
            assertEquals(snapshot, ModelRef.parse("acme/lora@" + commit).resolve(client, List.of()));
            ModelNotFoundException missing = assertThrows(ModelNotFoundException.class,
                    () -> ModelRef.parse("acme/nope").resolve(client, List.of()));
            assertEquals("acme/nope: no such local folder, and there is no repository acme/nope on the Hub ("
                    + hub.endpoint() + ") that this token can see", missing.getMessage());
            assertEquals("acme/lora@v9: no such local folder, and repository acme/lora on the Hub has no revision v9",
                    assertThrows(ModelNotFoundException.class, () -> ModelRef.parse("acme/lora@v9").resolve(client, List.of())).getMessage());
        }
    }

    @Test
    void anUnresolvableHostFailsAtOnceWithoutRetries() {
        try (HubClient client = HubClient.builder().environment(Map.of()).token(null).endpoint("http://nosuch.invalid")
                .cacheDir(cache).retryPolicy(RetryPolicy.DEFAULT).build()) {
            long start = System.nanoTime();
            ModelNotFoundException e = assertThrows(ModelNotFoundException.class,
                    () -> ModelRef.parse("nosuch/base").resolve(client, List.of()));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals("nosuch/base: no such local folder, and nosuch/base is not reachable on the Hub (unknown host nosuch.invalid)",
                    e.getMessage());
            assertTrue(millis < 10_000, "no retries on an unknown host (they took 23 s), took " + millis + " ms");
        }
    }

    @Test
    void offlineAndNotCachedSaysSo() {
        try (HubClient client = HubClient.builder().environment(Map.of("HF_HUB_OFFLINE", "1")).token(null).cacheDir(cache).build()) {
            assertEquals("acme/lora: no such local folder, and acme/lora at main is not in the Hugging Face cache " + cache
                    + " and HF_HUB_OFFLINE is set", assertThrows(ModelNotFoundException.class,
                    () -> ModelRef.parse("acme/lora").resolve(client, List.of())).getMessage());
        }
    }

    private HubClient client(String endpoint) {
        return HubClient.builder().environment(Map.of()).token(null).endpoint(endpoint).cacheDir(cache).build();
    }
}
