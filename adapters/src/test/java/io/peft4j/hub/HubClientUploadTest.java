package io.peft4j.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.hub.testing.LocalHub;
import io.peft4j.hub.testing.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubClientUploadTest {

    private static final String TOKEN = "hf_write";

    @TempDir Path tmp;
    private LocalHub hub;

    @BeforeEach
    void start() throws Exception {
        hub = LocalHub.start().acceptToken(TOKEN);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    @Test
    void pushesAnAdapterLikePushToHub() throws Exception {
        Path adapter = Files.createDirectories(tmp.resolve("adapter"));
        byte[] weights = new byte[200_000];
        new Random(1).nextBytes(weights);
        Files.write(adapter.resolve("adapter_model.safetensors"), weights);
        Files.writeString(adapter.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\"}");
        Files.writeString(adapter.resolve("README.md"), "");
        HubClient client = HubClient.builder().environment(Map.of("HF_TOKEN", TOKEN)).endpoint(hub.endpoint())
                .cacheDir(tmp.resolve("cache")).build();

        CommitInfo commit = client.upload(adapter, "me/my-lora");

        assertEquals(hub.commitOf("me/my-lora", "main"), commit.commitOid());
        assertEquals(List.of(".gitattributes", "README.md", "adapter_config.json", "adapter_model.safetensors"),
                hub.filesOf("me/my-lora", "main"));
        assertArrayEquals(weights, Files.readAllBytes(hub.fileOf("me/my-lora", "main", "adapter_model.safetensors")));
        List<RecordedRequest> requests = hub.requests();
        List<String> calls = requests.stream().map(r -> r.method() + " " + r.path().replaceAll("\\?.*", "")).toList();
        assertEquals(List.of("POST /api/repos/create", "POST /api/models/me/my-lora/preupload/main",
                "POST /me/my-lora.git/info/lfs/objects/batch", "PUT /upload/" + HubClientDownloadTest.sha256(weights),
                "POST /me/my-lora.git/info/lfs/objects/verify", "POST /api/models/me/my-lora/commit/main"), calls);
        requests.stream().filter(r -> r.host().startsWith("localhost:")).forEach(r -> assertNull(r.authorization()));

        // what was pushed comes back byte for byte, through the cache
        Path back = client.download("me/my-lora", "adapter_model.safetensors", "main");
        assertArrayEquals(weights, Files.readAllBytes(back));
        assertEquals("{\"peft_type\": \"LORA\"}", Files.readString(client.download("me/my-lora", "adapter_config.json", "main"), StandardCharsets.UTF_8));

        // a second push of the same weights skips the LFS upload and commits again onto the existing repo
        hub.clearRequests();
        Files.writeString(adapter.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": 4}");
        CommitInfo second = client.upload(adapter, "me/my-lora");
        assertTrue(hub.requests().stream().noneMatch(r -> r.method().equals("PUT")));
        assertEquals(hub.commitOf("me/my-lora", "main"), second.commitOid());
    }

    @Test
    void uploadNeedsAToken() throws Exception {
        Path adapter = Files.createDirectories(tmp.resolve("a"));
        Files.writeString(adapter.resolve("adapter_config.json"), "{}");
        HubClient anonymous = HubClient.builder().environment(Map.of("HF_HOME", tmp.resolve("home").toString()))
                .endpoint(hub.endpoint()).build();
        HubException e = assertThrows(HubException.class, () -> anonymous.upload(adapter, "me/x"));
        assertTrue(e.getMessage().contains("HF_TOKEN"), e.getMessage());
        HubClient wrong = HubClient.builder().environment(Map.of()).token("hf_bad").endpoint(hub.endpoint()).build();
        HubHttpException refused = assertThrows(HubHttpException.class, () -> wrong.upload(adapter, "me/x"));
        assertTrue(refused.getMessage().contains("token"), refused.getMessage());
        assertEquals(List.of(), hub.requests().stream().filter(r -> r.method().equals("PUT")).toList());
    }
}
