package io.peft4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain Java client for an OpenAI-compatible LoRA server: {@code peft4j serve}, or a vLLM server
 * started with {@code --enable-lora} (its load/unload endpoints need the environment variable
 * {@code VLLM_ALLOW_RUNTIME_LORA_UPDATING=True}, and {@code --max-loras}/{@code --max-lora-rank}
 * large enough for the adapters). Errors come back as {@link ServeException} with the server's
 * status, type and message.
 *
 * <pre>{@code
 * AdapterClient client = new AdapterClient(URI.create("http://127.0.0.1:8000"));
 * client.loadAdapter("support", "/srv/adapters/support");
 * String text = client.complete("support", "Hello", 32);
 * }</pre>
 */
public final class AdapterClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI address;
    private final HttpClient http;
    private final Duration timeout;

    /** A client of the server at {@code address} ({@code http://HOST:PORT}, without {@code /v1}), with a 10-minute request timeout. */
    public AdapterClient(URI address) {
        this(address, Duration.ofMinutes(10));
    }

    /** A client of the server at {@code address} whose requests time out after {@code timeout}. */
    public AdapterClient(URI address, Duration timeout) {
        this.address = address;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** The served model names: the base and every adapter. */
    public List<String> models() {
        List<String> ids = new ArrayList<>();
        send(HttpRequest.newBuilder(address.resolve("/v1/models")).GET()).path("data").forEach(m -> ids.add(m.path("id").asText()));
        return ids;
    }

    /** {@code POST /v1/load_lora_adapter}: serves the adapter folder (a path on the server's machine) as {@code name}. */
    public void loadAdapter(String name, String path) {
        post("/v1/load_lora_adapter", JSON.createObjectNode().put("lora_name", name).put("lora_path", path));
    }

    /** {@code POST /v1/unload_lora_adapter}: stops serving {@code name}. */
    public void unloadAdapter(String name) {
        post("/v1/unload_lora_adapter", JSON.createObjectNode().put("lora_name", name));
    }

    /** The greedy completion of {@code prompt} by {@code model} (the base or an adapter), {@code maxTokens} tokens at most. */
    public String complete(String model, String prompt, int maxTokens) {
        JsonNode answer = post("/v1/completions", JSON.createObjectNode().put("model", model).put("prompt", prompt)
                .put("max_tokens", maxTokens).put("temperature", 0));
        return answer.path("choices").path(0).path("text").asText();
    }

    /** The greedy chat answer of {@code model} to one user message. */
    public String chat(String model, String message, int maxTokens) {
        ObjectNode body = JSON.createObjectNode().put("model", model).put("max_tokens", maxTokens).put("temperature", 0);
        body.putArray("messages").addObject().put("role", "user").put("content", message);
        return post("/v1/chat/completions", body).path("choices").path(0).path("message").path("content").asText();
    }

    private JsonNode post(String path, ObjectNode body) {
        try {
            return send(HttpRequest.newBuilder(address.resolve(path)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode send(HttpRequest.Builder request) {
        HttpResponse<String> response;
        try {
            response = http.send(request.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new ServeException(503, "ServiceUnavailableError", address + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServeException(503, "ServiceUnavailableError", address + ": interrupted");
        }
        String body = response.body();
        JsonNode json;
        try {
            json = body.isEmpty() || !(body.startsWith("{") || body.startsWith("[")) ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (JsonProcessingException e) {
            json = JSON.createObjectNode();
        }
        if (response.statusCode() != 200) {
            JsonNode error = json.path("error");
            String message = error.path("message").isTextual() ? error.path("message").asText()
                    : json.path("message").asText(body.length() > 200 ? body.substring(0, 200) : body);
            throw new ServeException(response.statusCode(), error.path("type").asText(json.path("type").asText("error")), message);
        }
        return json;
    }
}
