package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.hub.testing.Fault;
import io.peft4j.hub.testing.LocalHub;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user sees when the Hub misbehaves or a name is mistyped, through a real {@code peft4j}
 * process: one line on stderr, a non-zero exit, in bounded time, and Hub text made safe to print.
 */
class HubCliProcessTest {

    @TempDir Path tmp;
    private LocalHub hub;
    private Map<String, String> env;

    @BeforeEach
    void start() throws Exception {
        hub = LocalHub.start();
        hub.createRepo("acme/lora").adapterOf("acme/base")
                .file("adapter_config.json", "{\"r\": 4}".getBytes(StandardCharsets.UTF_8)).commit("c");
        env = new HashMap<>();
        env.put("HF_ENDPOINT", hub.endpoint());
        env.put("HF_HUB_CACHE", tmp.resolve("cache").toString());
        env.put("HF_HOME", tmp.resolve("home").toString());
        env.put("HF_TOKEN", null);
        env.put("HF_HUB_OFFLINE", null);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    /** {@code peft4j ARGS} in a JVM of its own; a run past a minute fails the test (the faults here would hold it for ever). */
    private CliRun peft4j(String... args) throws Exception {
        return CliRun.process(Duration.ofSeconds(60), env, List.of(), args);
    }

    @Test
    void aTrickledSearchEndsAtTheTimeLimitWithOneLine() throws Exception {
        hub.inject(Fault.trickle("/api/models", 500, Integer.MAX_VALUE));
        CliRun r = peft4j("hub", "search", "lora", "--timeout", "2");
        assertEquals(Main.EXIT_FAILURE, r.exitCode(), r.err());
        assertEquals(List.of("peft4j search: no complete answer from " + hub.endpoint() + "/api/models within 2 s"
                + " (the Hub client's time limit for one call, retries included)"), r.err().lines().toList());
        assertEquals("", r.out());
    }

    @Test
    void infoRedirectedToANonHubAnswerFails() throws Exception {
        hub.inject(Fault.answer("/api/models/acme/lora", 1, 302, Map.of("Location", hub.endpoint() + "/landing"), new byte[0]));
        hub.inject(Fault.answer("/landing", 1, 200, Map.of(), "{\"status\": \"ok\"}".getBytes(StandardCharsets.UTF_8)));
        CliRun r = peft4j("hub", "info", "acme/lora");
        assertEquals(Main.EXIT_FAILURE, r.exitCode(), r.out() + r.err());
        assertEquals(List.of("peft4j info: the answer from " + hub.endpoint() + "/landing is not model information from a"
                + " Hugging Face Hub: 'id' is missing"), r.err().lines().toList());
        assertFalse(r.out().contains("null"), r.out());
    }

    @Test
    void aHugeRetryAfterFailsAtOnceSayingHowLongTheServerAsked() throws Exception {
        hub.inject(Fault.status("/api/models/acme/lora", 429, 100_000, 100));
        CliRun r = peft4j("hub", "download", "acme/lora");
        assertEquals(Main.EXIT_FAILURE, r.exitCode(), r.err());
        assertEquals(1, r.err().lines().toList().size(), r.err());
        assertTrue(r.err().startsWith("peft4j download: HTTP 429 from GET " + hub.endpoint() + "/api/models/acme/lora/revision/main"), r.err());
        assertTrue(r.err().strip().endsWith("the server asked to wait 100000 s before trying again (Retry-After)"), r.err());
    }

    @Test
    void hubFileNamesArePrintedWithControlCharactersEscaped() throws Exception {
        hub.createRepo("acme/evil").file("clear\u001b[2J\u001b[Hscreen.txt", "x".getBytes(StandardCharsets.UTF_8)).commit("c");
        CliRun files = peft4j("hub", "files", "acme/evil");
        assertEquals(0, files.exitCode(), files.err());
        assertTrue(files.out().startsWith("clear\\x1b[2J\\x1b[Hscreen.txt "), files.out());
        CliRun info = peft4j("hub", "info", "acme/evil");
        assertEquals(0, info.exitCode(), info.err());
        assertTrue(info.out().contains("  clear\\x1b[2J\\x1b[Hscreen.txt "), info.out());
        CliRun json = peft4j("hub", "info", "acme/evil", "--json");
        assertEquals(0, json.exitCode(), json.err());
        assertTrue(json.out().contains("clear\\u001B[2J"), json.out());
        for (CliRun r : List.of(files, info, json)) {
            assertFalse(r.out().contains("\u001b"), "a raw ESC reached the terminal");
        }
    }

    @Test
    void trainingResolvesAHubIdWhenItRunsAndSaysWhatIsMissing() throws Exception {
        Path data = Files.writeString(tmp.resolve("d.jsonl"), "{\"text\": \"x\"}\n");
        CliRun r = peft4j("train", "--base", "acme/nope", "--data", data.toString(), "--out", tmp.resolve("out").toString());
        assertEquals(Main.EXIT_FAILURE, r.exitCode(), r.err());
        assertEquals(List.of("peft4j train: acme/nope: no such local folder, and there is no repository acme/nope on the Hub ("
                + hub.endpoint() + ") that this token can see"), r.err().lines().toList());
    }

    @Test
    void aMistypedFolderTakenForAHubIdFailsAtOnceInOneLine() throws Exception {
        Path adapter = Files.createDirectories(tmp.resolve("adapter"));
        env.put("HF_ENDPOINT", "http://nosuch.invalid");
        CliRun r = peft4j("merge", "--base", "nosuch/base", "--adapter", adapter.toString(), "--out", tmp.resolve("out").toString());
        assertEquals(Main.EXIT_FAILURE, r.exitCode(), r.err());
        assertEquals(List.of("peft4j merge: nosuch/base: no such local folder, and nosuch/base is not reachable on the Hub"
                + " (unknown host nosuch.invalid)"), r.err().lines().toList());
        assertFalse(Files.exists(tmp.resolve("out")));
    }
}
