package io.peft4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.hub.HubClient;
import io.peft4j.hub.ModelSummary;
import io.peft4j.hub.testing.LocalHub;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BrowseHub against an in-process LocalHub: the documented folder layout, ordering, the table. */
class BrowseHubTest {

    @Test
    void listsTheAdaptersOfABaseFromServedFoldersMostDownloadedFirst(@TempDir Path repos, @TempDir Path cache) throws Exception {
        adapterFolder(repos.resolve("alice/llama-support"), "org/tiny-llama");
        adapterFolder(repos.resolve("bob/llama-legal"), "org/tiny-llama");
        adapterFolder(repos.resolve("carol/gpt2-poems"), "openai-community/gpt2");
        Files.createDirectories(repos.resolve("org/tiny-llama"));
        Files.writeString(repos.resolve("org/tiny-llama/config.json"), "{\"model_type\": \"llama\"}");
        try (LocalHub hub = LocalHub.start().serveFolders(repos)) {
            hub.createRepo("dave/llama-popular").adapterOf("org/tiny-llama").stats(5000, 12).gated()
                    .file("adapter_config.json", "{}".getBytes(StandardCharsets.UTF_8)).commit("add");
            HubClient client = HubClient.builder().endpoint(hub.endpoint()).cacheDir(cache).build();

            List<ModelSummary> found = BrowseHub.adaptersOf(client, "org/tiny-llama", 10);

            assertEquals("dave/llama-popular", found.getFirst().id(), "most downloaded first");
            assertEquals(List.of("alice/llama-support", "bob/llama-legal", "dave/llama-popular"),
                    found.stream().map(ModelSummary::id).sorted().toList(), "only adapters of this base; not the base itself");
            assertEquals(1, BrowseHub.adaptersOf(client, "org/tiny-llama", 1).size());

            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            BrowseHub.printTable(found, new PrintStream(bytes, true, StandardCharsets.UTF_8));
            List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
            assertEquals(4, lines.size());
            assertTrue(lines.get(0).startsWith("ADAPTER ") && lines.get(0).contains("DOWNLOADS"), lines.get(0));
            assertTrue(lines.get(1).matches("dave/llama-popular\\s+5000\\s+12\\s+\\d{4}-\\d\\d-\\d\\d\\s+yes"), lines.get(1));
        }
    }

    private static void adapterFolder(Path dir, String base) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("adapter_config.json"),
                "{\"peft_type\": \"LORA\", \"r\": 8, \"base_model_name_or_path\": \"" + base + "\"}");
        Files.write(dir.resolve("adapter_model.safetensors"), new byte[] {8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '});
    }
}
