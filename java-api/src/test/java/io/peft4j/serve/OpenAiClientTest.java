package io.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.bridge.PythonRuntime;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The official {@code openai} Python client (pinned in requirements-test.txt), in its own process,
 * lists models, completes, chats and streams against the server; its answers must equal what the
 * server answers plain HTTP requests.
 */
class OpenAiClientTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theOfficialOpenAiClientTalksToTheServer() throws Exception {
        try (AdapterServer server = AdapterServer.start(ServeOptions.of(ServeFixtures.base(), Map.of("a0", ServeFixtures.adapter(0), "a2", ServeFixtures.adapter(2))).withPort(0))) {
            String python = PythonRuntime.get().environment().pythonExecutable().toString();
            Process process = new ProcessBuilder(python, Path.of("src/test/python/openai_client_check.py").toString(), server.address() + "/v1", "a2")
                    .redirectErrorStream(true).start();
            // the client runs in another process: the embedded interpreter stays free to generate
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(10, TimeUnit.MINUTES));
            assertEquals(0, process.exitValue(), output);
            JsonNode got = JSON.readTree(output.lines().reduce((a, b) -> b).orElseThrow());

            java.util.List<String> models = new java.util.ArrayList<>();
            got.path("models").forEach(m -> models.add(m.asText()));
            assertEquals(java.util.Set.of(server.baseName(), "a0", "a2"), java.util.Set.copyOf(models));
            JsonNode plain = JSON.readTree(http(server, "/v1/completions", "{\"model\": \"a2\", \"prompt\": \"The quick brown fox\", \"max_tokens\": 5, \"temperature\": 0}"));
            assertEquals(plain.path("choices").get(0).path("text").asText(), got.path("completion").asText());
            assertEquals(got.path("completion").asText(), got.path("streamed_completion").asText());
            JsonNode chat = JSON.readTree(http(server, "/v1/chat/completions", "{\"model\": \"a2\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 5, \"temperature\": 0}"));
            assertEquals(chat.path("choices").get(0).path("message").path("content").asText(), got.path("chat").asText());
            assertEquals(got.path("chat").asText(), got.path("streamed").asText());
            assertTrue(got.path("completion_tokens").asInt() > 0);
            assertEquals("NotFoundError", got.path("not_found").asText());
        }
    }

    private static String http(AdapterServer server, String path, String body) throws Exception {
        var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.address() + path))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return response.body();
    }
}
