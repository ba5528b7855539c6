package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.hub.testing.LocalHub;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j hub ...} against a {@link LocalHub}, in a process of its own ({@link CliRun}). */
class HubCommandTest {

    @TempDir Path tmp;
    private LocalHub hub;
    private String commit;

    record Result(int code, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    @BeforeEach
    void start() throws Exception {
        hub = LocalHub.start();
        commit = hub.createRepo("acme/llama-lora").adapterOf("meta/llama").stats(42, 7)
                .file("adapter_config.json", "{\"r\": 4}".getBytes(StandardCharsets.UTF_8))
                .file("adapter_model.safetensors", new byte[1000])
                .commit("c");
        hub.createRepo("bob/other").tags("transformers").stats(5, 1).file("config.json", "{}".getBytes(StandardCharsets.UTF_8)).commit("c");
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private Result run(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--endpoint", hub.endpoint(), "--cache-dir", tmp.resolve("cache").toString()));
        CliRun run = CliRun.of(all.toArray(String[]::new));
        return new Result(run.exitCode(), run.out(), run.err());
    }

    @Test
    void searchPrintsJsonSummaries() throws Exception {
        Result r = run("hub", "search", "--base-model", "meta/llama", "--sort", "downloads", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode array = new ObjectMapper().readTree(r.out());
        assertEquals(1, array.size());
        assertEquals("acme/llama-lora", array.get(0).path("id").asText());
        assertEquals(42, array.get(0).path("downloads").asLong());
        assertEquals("meta/llama", array.get(0).path("baseModel").asText());
    }

    @Test
    void searchPrintsATable() {
        Result r = run("hub", "search", "--author", "bob", "--limit", "5");
        assertEquals(0, r.code(), r.err());
        assertEquals(2, r.lines().size(), r.out());
        assertTrue(r.lines().get(1).startsWith("bob/other"), r.out());
    }

    @Test
    void infoAndFiles() {
        Result info = run("hub", "info", "acme/llama-lora");
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("commit:        " + commit), info.out());
        assertTrue(info.out().contains("peft adapter:  yes"), info.out());
        Result files = run("hub", "files", "acme/llama-lora");
        assertEquals(0, files.code(), files.err());
        assertEquals(2, files.lines().size());
        assertTrue(files.lines().get(1).contains("lfs sha256:"), files.out());
    }

    @Test
    void downloadPrintsTheSnapshotDirectoryLast() {
        Result r = run("hub", "download", "acme/llama-lora", "--include", "*.json");
        assertEquals(0, r.code(), r.err());
        Path dir = Path.of(r.lines().getLast());
        assertEquals(tmp.resolve("cache/models--acme--llama-lora/snapshots/" + commit), dir);
        assertTrue(Files.exists(dir.resolve("adapter_config.json")));
        assertTrue(Files.notExists(dir.resolve("adapter_model.safetensors")));
        assertTrue(r.err().contains("downloading adapter_config.json"), r.err());
    }

    @Test
    void errorsAreOneLineAndNonZero() {
        Result r = run("hub", "download", "acme/nope");
        assertEquals(Main.EXIT_FAILURE, r.code());
        assertEquals(List.of("peft4j download: repository acme/nope not found on the Hub (or it is private and needs a token with access: set HF_TOKEN)"),
                r.err().lines().toList());
        Result bad = run("hub", "info", "../etc");
        assertEquals(Main.EXIT_FAILURE, bad.code());
        assertEquals(1, bad.err().lines().count(), bad.err());
    }

    @Test
    void uploadWithoutATokenSaysWhatToSet() throws Exception {
        Assumptions.assumeTrue(System.getenv("HF_TOKEN") == null && System.getenv("HF_HOME") == null
                && Files.notExists(Path.of(System.getProperty("user.home"), ".cache/huggingface/token")),
                "a Hub token is configured in this environment");
        Path dir = Files.createDirectories(tmp.resolve("adapter"));
        Files.writeString(dir.resolve("adapter_config.json"), "{}");
        Result r = run("hub", "upload", dir.toString(), "me/new");
        assertEquals(Main.EXIT_FAILURE, r.code());
        assertTrue(r.err().contains("needs a token with write access: set HF_TOKEN"), r.err());
    }
}
