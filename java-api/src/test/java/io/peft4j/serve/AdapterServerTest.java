package io.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server on the tiny Llama with three random adapters, over real HTTP on loopback. */
class AdapterServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final List<String> PROMPTS = List.of("The quick brown fox", "Hello world, the cat");

    private static AdapterServer server;

    @BeforeAll
    static void start() throws Exception {
        Map<String, Path> adapters = new LinkedHashMap<>();
        for (int i = 0; i < 3; i++) {
            adapters.put("a" + i, ServeFixtures.adapter(i));
        }
        ServeOptions o = ServeOptions.of(ServeFixtures.base(), adapters).withPort(0);
        server = AdapterServer.start(new ServeOptions(o.base(), o.adapters(), o.host(), 0, 3, 16, Duration.ofMillis(500), 64, 1 << 20, 64));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void everyAnswerOfAMixedBatchEqualsTheSameRequestAlone() throws Exception {
        List<String> models = List.of("a0", "a1", "a2", server.baseName());
        Map<String, String> alone = new LinkedHashMap<>();
        for (String model : models) {
            for (String prompt : PROMPTS) {
                alone.put(model + "|" + prompt, text(post("/v1/completions", completion(model, prompt))));
            }
        }
        assertEquals(alone.size(), new java.util.HashSet<>(alone.values()).size(), "each adapter and the base answer differently: " + alone);

        List<Future<String>> answers = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        try (ExecutorService clients = Executors.newFixedThreadPool(16)) {
            for (int c = 0; c < 16; c++) {
                String model = models.get(c % 4);
                String prompt = PROMPTS.get((c / 4) % 2);
                keys.add(model + "|" + prompt);
                answers.add(clients.submit(() -> text(post("/v1/completions", completion(model, prompt)))));
            }
            for (int c = 0; c < 16; c++) {
                assertEquals(alone.get(keys.get(c)), answers.get(c).get(), keys.get(c));
            }
        }
        String metrics = get("/metrics").body();
        long largest = Long.parseLong(metrics.lines().filter(l -> l.startsWith("peft4j_batch_size_max ")).findFirst().orElseThrow().split(" ")[1]);
        assertTrue(largest >= 4, "16 concurrent clients were batched together:\n" + metrics);
        assertTrue(metrics.contains("peft4j_requests_total{model=\"a1\"}"), metrics);
    }

    @Test
    void hostileRequestsGetOpenAiErrorsAndTheServerKeepsServing(@TempDir Path tmp) throws Exception {
        assertError(404, post("/v1/completions", completion("nope", "hi")));
        assertError(400, post("/v1/completions", "{\"model\": \"a0\", \"prompt\": \"hi\", \"max_tokens\": 100000000}"));
        assertError(400, post("/v1/completions", "{\"model\": \"a0\", \"prompt\": \"hi\", \"max_tokens\": \"5\"}"));
        assertError(400, post("/v1/completions", "{\"model\": 7, \"prompt\": \"hi\"}"));
        assertError(400, post("/v1/chat/completions", "{\"model\": \"a0\", \"messages\": [{\"role\": \"user\"}]}"));
        assertError(400, post("/v1/completions", "{\"model\": \"a0\", \"prompt\": \"hi\", \"temperature\": -1}"));
        assertError(400, post("/v1/completions", "not json"));
        assertError(400, post("/v1/completions", "[".repeat(5000)));
        assertError(413, post("/v1/completions", "{\"model\": \"a0\", \"prompt\": \"" + "x".repeat(10 << 20) + "\"}"));
        assertError(400, post("/v1/load_lora_adapter", "{\"lora_name\": \"evil\", \"lora_path\": \"" + ServeFixtures.adapter(0) + "/../a1\"}"));
        assertError(400, post("/v1/load_lora_adapter", "{\"lora_name\": \"evil\", \"lora_path\": \"/etc\"}"));
        assertError(400, post("/v1/load_lora_adapter", "{\"lora_name\": \"evil\", \"lora_path\": \"https://example.com/x\"}"));
        assertError(400, post("/v1/load_lora_adapter", "{\"lora_name\": \"../x\", \"lora_path\": \"" + ServeFixtures.adapter(0) + "\"}"));
        Path broken = Files.createDirectories(tmp.resolve("broken"));
        Files.writeString(broken.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": 4");
        assertError(400, post("/v1/load_lora_adapter", "{\"lora_name\": \"broken\", \"lora_path\": \"" + broken + "\"}"));
        assertError(404, post("/v1/unload_lora_adapter", "{\"lora_name\": \"never\"}"));
        assertError(404, get("/v1/nothing"));

        HttpResponse<String> ok = post("/v1/completions", completion("a0", "Hello"));
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals("text_completion", JSON.readTree(ok.body()).path("object").asText());
    }

    @Test
    void adaptersLoadedAtRunTimeAreServedAndEvictedLeastRecentlyUsed() throws Exception {
        String before = text(post("/v1/completions", completion("a0", PROMPTS.get(0))));
        text(post("/v1/completions", completion("a1", PROMPTS.get(0))));
        text(post("/v1/completions", completion("a2", PROMPTS.get(0))));
        HttpResponse<String> load = post("/v1/load_lora_adapter", "{\"lora_name\": \"again\", \"lora_path\": \"" + ServeFixtures.adapter(0) + "\"}");
        assertEquals(200, load.statusCode(), load.body());
        assertTrue(JSON.readTree(get("/v1/models").body()).toString().contains("\"id\":\"again\""));
        // a fourth adapter with max-loaded 3: one of the others is evicted to make room
        assertEquals(before, text(post("/v1/completions", completion("again", PROMPTS.get(0)))));
        String metrics = get("/metrics").body();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("peft4j_adapter_evictions_total ") && !l.endsWith(" 0")), metrics);
        assertEquals(200, post("/v1/unload_lora_adapter", "{\"lora_name\": \"again\"}").statusCode());
        assertError(404, post("/v1/completions", completion("again", "hi")));
        assertEquals(before, text(post("/v1/completions", completion("a0", PROMPTS.get(0)))));
    }

    @Test
    void chatAndStreamAnswerInOpenAiShapes() throws Exception {
        String body = "{\"model\": \"a1\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 5, \"temperature\": 0}";
        JsonNode chat = JSON.readTree(post("/v1/chat/completions", body).body());
        assertEquals("chat.completion", chat.path("object").asText());
        String content = chat.path("choices").get(0).path("message").path("content").asText();
        HttpResponse<String> stream = post("/v1/chat/completions", body.replace("}]", "}], \"stream\": true"));
        assertTrue(stream.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        StringBuilder streamed = new StringBuilder();
        for (String line : stream.body().split("\n")) {
            if (line.startsWith("data: {")) {
                streamed.append(JSON.readTree(line.substring(6)).path("choices").get(0).path("delta").path("content").asText(""));
            }
        }
        assertEquals(content, streamed.toString());
        assertTrue(stream.body().strip().endsWith("data: [DONE]"), stream.body());
        JsonNode sampled = JSON.readTree(post("/v1/completions", "{\"model\": \"a1\", \"prompt\": \"hi\", \"max_tokens\": 6, \"temperature\": 1.5, \"seed\": 7}").body());
        JsonNode again = JSON.readTree(post("/v1/completions", "{\"model\": \"a1\", \"prompt\": \"hi\", \"max_tokens\": 6, \"temperature\": 1.5, \"seed\": 7}").body());
        assertEquals(sampled.path("choices"), again.path("choices"), "the same seed samples the same text");
        assertNotEquals(0, sampled.path("usage").path("completion_tokens").asInt());
    }

    @Test
    void loadingAndUnloadingWhileRequestsRunLosesNoRequest() throws Exception {
        Map<String, String> alone = new LinkedHashMap<>();
        for (String model : List.of("a0", "a1")) {
            alone.put(model, text(post("/v1/completions", completion(model, PROMPTS.get(1)))));
        }
        AdapterClient client = new AdapterClient(server.address());
        try (ExecutorService clients = Executors.newFixedThreadPool(8)) {
            List<Future<String>> answers = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                String model = c % 2 == 0 ? "a0" : "a1";
                answers.add(clients.submit(() -> text(post("/v1/completions", completion(model, PROMPTS.get(1))))));
            }
            for (int round = 0; round < 3; round++) {
                client.loadAdapter("churn", ServeFixtures.adapter(2).toString());
                client.complete("churn", "x", 1);
                client.unloadAdapter("churn");
            }
            for (int c = 0; c < 8; c++) {
                assertEquals(alone.get(c % 2 == 0 ? "a0" : "a1"), answers.get(c).get());
            }
        }
    }

    @Test
    void theJavaClientListsLoadsCompletesAndReportsErrors() throws Exception {
        AdapterClient client = new AdapterClient(server.address());
        assertTrue(client.models().containsAll(List.of(server.baseName(), "a0", "a1", "a2")), client.models().toString());
        assertEquals(text(post("/v1/completions", completion("a2", PROMPTS.get(1)))), client.complete("a2", PROMPTS.get(1), 5));
        client.loadAdapter("viaClient", ServeFixtures.adapter(1).toString());
        assertEquals(client.complete("a1", PROMPTS.get(0), 5), client.complete("viaClient", PROMPTS.get(0), 5));
        client.unloadAdapter("viaClient");
        ServeException missing = org.junit.jupiter.api.Assertions.assertThrows(ServeException.class, () -> client.chat("viaClient", "hi", 3));
        assertEquals(404, missing.status());
        assertTrue(missing.getMessage().contains("viaClient"), missing.getMessage());
    }

    static String completion(String model, String prompt) {
        return "{\"model\": \"" + model + "\", \"prompt\": \"" + prompt + "\", \"max_tokens\": 5, \"temperature\": 0}";
    }

    private static String text(HttpResponse<String> response) throws Exception {
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body()).path("choices").get(0).path("text").asText();
    }

    private static void assertError(int status, HttpResponse<String> response) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertTrue(error.path("message").isTextual() && error.path("type").isTextual(), response.body());
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(server.address() + path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(server.address() + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
