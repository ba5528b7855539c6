package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.hub.testing.LocalHub;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code peft4j data stats} in a process of its own ({@link CliRun}), with the hand-written
 * word-level tokenizer of the adapters module's test resources (one token per word, {@code <s>}
 * prepended, {@code </s>} as eos), so every count can be checked by eye.
 */
class DataCommandTest {

    static final Path WORDLEVEL = Path.of("..", "..", "adapters", "src", "test", "resources", "data", "wordlevel");

    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {}

    private static Result run(String... args) {
        CliRun run = CliRun.of(args);
        return new Result(run.exitCode(), run.out(), run.err());
    }

    private Path promptCompletionFile() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            // prompt: <s> + i words; completion: 2 words + eos  => length i + 4
            lines.add("{\"prompt\":\"" + "a ".repeat(i).trim() + "\",\"completion\":\" b c\"}");
        }
        return Files.write(tmp.resolve("train.jsonl"), lines);
    }

    @Test
    void jsonStatsHaveExactCounts() throws Exception {
        Path data = promptCompletionFile();
        Result r = run("data", "stats", "--tokenizer", WORDLEVEL.toString(), "--data", data.toString(),
                "--max-length", "20", "--batch-size", "4", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals("PROMPT_COMPLETION", json.get("format").asText());
        assertEquals(20, json.get("examples").asLong());
        assertEquals(20 + 210, json.get("prompt_tokens").asLong());
        assertEquals(60, json.get("completion_tokens").asLong());
        assertEquals(290, json.get("total_tokens").asLong());
        assertEquals(5, json.get("min_length").asInt());
        assertEquals(24, json.get("max_length").asInt());
        assertEquals(23, json.get("p95_length").asInt());
        assertEquals(4, json.get("over_max_length").asLong());
        assertEquals(1 + 2 + 3 + 4, json.get("truncated_tokens").asLong());
        assertEquals(2, json.get("untrainable").asLong(), "prompts of 20 and 21 tokens fill max length 20");
        assertEquals(5, json.get("optimizer_steps").asLong());
        assertEquals(20, json.get("histogram").findValues("examples").stream().mapToLong(JsonNode::asLong).sum());
    }

    @Test
    void humanSummaryHasAHistogram() throws Exception {
        Result r = run("data", "stats", "--tokenizer", WORDLEVEL.toString(), "--data", promptCompletionFile().toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("20 examples, format PROMPT_COMPLETION"), r.out());
        assertTrue(r.out().contains("length      min 5, mean 14.5, p95 23, max 24"), r.out());
        assertTrue(r.out().contains("length histogram"), r.out());
        assertTrue(r.out().lines().filter(l -> l.contains("│")).count() >= 10, r.out());
        assertTrue(r.out().contains("█"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void verboseShowsTheLogLinesTheDefaultHides() throws Exception {
        Path data = promptCompletionFile();
        Result quiet = run("data", "stats", "--tokenizer", WORDLEVEL.toString(), "--data", data.toString());
        Result verbose = run("data", "stats", "--verbose", "--tokenizer", WORDLEVEL.toString(), "--data", data.toString());
        assertEquals(0, verbose.code(), verbose.err());
        assertEquals("", quiet.err());
        assertTrue(verbose.err().lines().anyMatch(l -> l.startsWith("INFO ") || l.startsWith("DEBUG ")), verbose.err());
        assertEquals(quiet.out(), verbose.out(), "--verbose changes what goes to stderr only");
    }

    @Test
    void badLineIsOneErrorLineWithFileAndLine() throws Exception {
        Path data = Files.writeString(tmp.resolve("bad.jsonl"), "{\"text\":\"a\"}\n\n{\"messages\":[]}\n");
        Result r = run("data", "stats", "--tokenizer", WORDLEVEL.toString(), "--data", data.toString());
        assertEquals(Main.EXIT_FAILURE, r.code());
        assertEquals("peft4j stats: " + data + ":3: mixed formats: this line is MESSAGES but line 1 made the file TEXT\n",
                r.err());
        assertEquals("", r.out());
    }

    @Test
    void missingTokenizerAndBadOptionsAreOneLine() throws Exception {
        Path data = promptCompletionFile();
        Result r = run("data", "stats", "--tokenizer", tmp.resolve("none").toString(), "--data", data.toString());
        assertEquals(Main.EXIT_FAILURE, r.code());
        assertEquals("peft4j stats: " + tmp.resolve("none") + ": no such local file or folder\n", r.err());
        r = run("data", "stats", "--tokenizer", WORDLEVEL.toString(), "--data", data.toString(), "--batch-size", "0");
        assertEquals(Main.EXIT_USAGE, r.code());
    }

    @Test
    void messagesAreLabelledEstimates() throws Exception {
        Path data = Files.writeString(tmp.resolve("chat.jsonl"),
                "{\"messages\":[{\"role\":\"user\",\"content\":\"a b\"},{\"role\":\"assistant\",\"content\":\"c\"}]}\n");
        Result r = run("data", "stats", "--tokenizer", WORDLEVEL.toString(), "--data", data.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("~ estimated: chat template not rendered"), r.out());
        assertTrue(r.out().contains("the tokenizer has no chat template"), r.out());
    }

    @Test
    void hubIdFetchesOnlyTheTokenizerFiles() throws Exception {
        try (LocalHub hub = LocalHub.start()) {
            hub.createRepo("acme/tiny").file("tokenizer.json", WORDLEVEL.resolve("tokenizer.json"))
                    .file("tokenizer_config.json", WORDLEVEL.resolve("tokenizer_config.json"))
                    .file("model.safetensors", new byte[4096]).commit("c");
            Result r = run("data", "stats", "--tokenizer", "acme/tiny", "--data", promptCompletionFile().toString(),
                    "--json", "--endpoint", hub.endpoint(), "--cache-dir", tmp.resolve("cache").toString());
            assertEquals(0, r.code(), r.err());
            assertEquals(290, new ObjectMapper().readTree(r.out()).get("total_tokens").asLong());
            assertTrue(hub.requests().stream().noneMatch(q -> q.path().contains("model.safetensors")),
                    "the weights must not be downloaded");
        }
    }
}
