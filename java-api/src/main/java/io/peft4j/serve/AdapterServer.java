package io.peft4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.peft4j.bridge.PythonRuntime;
import io.peft4j.core.Peft4jException;
import io.peft4j.core.Printable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;

/**
 * Many LoRA adapters behind one OpenAI-compatible HTTP endpoint, on one base model in the embedded
 * Python: what {@code peft4j serve} runs, and what a Java service starts in-process.
 *
 * <pre>{@code
 * try (AdapterServer server = AdapterServer.start(ServeOptions.of(base, Map.of("support", dir)).withPort(0))) {
 *     URI uri = server.address();   // http://127.0.0.1:PORT, OpenAI's base URL is uri + "/v1"
 * }
 * }</pre>
 *
 * <p>Endpoints, as vLLM serves LoRA adapters: {@code GET /v1/models} (the base, named by its
 * folder, and every adapter); {@code POST /v1/completions} and {@code POST /v1/chat/completions},
 * where {@code model} names the base or an adapter ({@code max_tokens}, {@code temperature},
 * {@code top_p}, {@code seed}, {@code stop}, {@code stream}); {@code POST /v1/load_lora_adapter}
 * {@code {"lora_name", "lora_path"}} and {@code POST /v1/unload_lora_adapter} {@code {"lora_name"}};
 * {@code GET /metrics} in Prometheus' text format. Errors come as OpenAI's
 * {@code {"error": {"message", "type", "param", "code"}}}: 400 for a bad request, 404 for an unknown
 * model, 413 for a body over the limit, 503 when the queue is full or the server is closing.
 *
 * <p>Requests that arrive together are generated in one batch even when they name different
 * adapters. Greedy rows of a batch give the same tokens as the request alone; a request with
 * {@code temperature > 0} is generated on its own, seeded with its {@code seed} (default 0), so its
 * text does not depend on what else was queued. Streaming sends the text as one chunk once its
 * batch is done (the batch is generated as a whole), then {@code [DONE]}.
 */
public final class AdapterServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ADAPTER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).maxStringLength(1 << 20).build());
    }

    private final ServeOptions options;
    private final String baseName;
    private final PythonRuntime python;
    private final long handle;
    private final AdapterCheck check;
    private final AdapterPool pool;
    private final Batcher batcher;
    private final ServeMetrics metrics = new ServeMetrics();
    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final long created = System.currentTimeMillis() / 1000;

    private AdapterServer(ServeOptions options, AdapterCheck check, Map<String, Path> adapters) throws IOException {
        this.options = options;
        this.check = check;
        this.baseName = options.base().toAbsolutePath().normalize().getFileName().toString();
        this.python = PythonRuntime.get();
        this.handle = python.callAs(Long.class, "serve", "start", options.base().toAbsolutePath().normalize().toString());
        this.pool = new AdapterPool(python, handle, options.maxLoaded(), metrics);
        adapters.forEach(pool::register);
        this.batcher = new Batcher(python, handle, pool, metrics, options.maxBatch(), options.maxQueued(), options.batchWindow());
        this.http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 64);
        http.createContext("/", this::handle);
        http.setExecutor(executor);
        http.start();
    }

    /**
     * Checks the base and every adapter, loads the base into the embedded Python and starts answering.
     *
     * @throws Peft4jException naming the folder and the problem when the base or an adapter is unusable
     * @throws IOException if the address cannot be bound
     */
    public static AdapterServer start(ServeOptions options) throws IOException {
        Path base = options.base();
        if (!Files.isRegularFile(base.resolve("config.json"))) {
            throw new Peft4jException(base + ": not a model folder (no config.json)");
        }
        AdapterCheck check = AdapterCheck.forBase(base);
        Map<String, Path> adapters = new java.util.LinkedHashMap<>();
        options.adapters().forEach((name, dir) -> {
            if (!ADAPTER_NAME.matcher(name).matches()) {
                throw new Peft4jException(name + ": an adapter name is 1-64 letters, digits, '.', '_' or '-'");
            }
            try {
                adapters.put(name, check.check(dir.toString()));
            } catch (ServeException e) {
                throw new Peft4jException(e.getMessage());
            }
        });
        return new AdapterServer(options, check, adapters);
    }

    /** The address answered, {@code http://HOST:PORT}; OpenAI clients take it plus {@code /v1}. */
    public URI address() {
        return URI.create("http://" + options.host() + ":" + http.getAddress().getPort());
    }

    /** The model name of the bare base: its folder's name. */
    public String baseName() {
        return baseName;
    }

    /** Stops taking requests, cancels the queued ones (503), finishes the running batch and frees the model. */
    @Override
    public void close() {
        batcher.close();
        http.stop(0);
        executor.shutdownNow();
        python.call("serve", "stop", handle);
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            try {
                route(exchange);
            } catch (ServeException e) {
                replyError(exchange, e);
            } catch (RuntimeException e) {
                replyError(exchange, new ServeException(500, "InternalServerError", String.valueOf(e.getMessage())));
            }
        } catch (IOException e) {
            // the client went away; nothing to answer
        }
    }

    private void route(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        switch (path) {
            case "/v1/models" -> { requireMethod(method, "GET"); reply(exchange, 200, models()); }
            case "/metrics" -> {
                requireMethod(method, "GET");
                byte[] text = metrics.text(pool.loaded().size(), batcher.queued()).getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                exchange.sendResponseHeaders(200, text.length);
                exchange.getResponseBody().write(text);
            }
            case "/v1/completions" -> { requireMethod(method, "POST"); complete(exchange, false); }
            case "/v1/chat/completions" -> { requireMethod(method, "POST"); complete(exchange, true); }
            case "/v1/load_lora_adapter" -> { requireMethod(method, "POST"); loadAdapter(exchange); }
            case "/v1/unload_lora_adapter" -> { requireMethod(method, "POST"); unloadAdapter(exchange); }
            default -> throw ServeException.notFound("no such endpoint: " + method + " " + Printable.of(path));
        }
    }

    private static void requireMethod(String method, String wanted) {
        if (!method.equals(wanted)) {
            throw new ServeException(405, "invalid_request_error", "use " + wanted);
        }
    }

    private ObjectNode models() {
        ObjectNode out = JSON.createObjectNode().put("object", "list");
        ArrayNode data = out.putArray("data");
        data.addObject().put("id", baseName).put("object", "model").put("created", created).put("owned_by", "peft4j")
                .put("root", options.base().toAbsolutePath().normalize().toString()).putNull("parent");
        pool.registered().forEach((name, dir) -> data.addObject().put("id", name).put("object", "model").put("created", created)
                .put("owned_by", "peft4j").put("root", dir.toString()).put("parent", baseName));
        return out;
    }

    private void complete(HttpExchange exchange, boolean chat) throws IOException {
        OpenAiRequest request = OpenAiRequest.parse(readBody(exchange), chat, options.maxTokens());
        String adapter = request.model().equals(baseName) ? null : request.model();
        if (adapter != null && pool.path(adapter).isEmpty()) {
            throw ServeException.notFound("The model `" + Printable.of(request.model()) + "` does not exist.");
        }
        request.python().put("adapter", adapter);
        JsonNode result;
        try {
            result = batcher.submit(adapter, request.model(), request.python()).get();
        } catch (ExecutionException | CompletionException e) {
            throw e.getCause() instanceof ServeException s ? s : new ServeException(500, "InternalServerError", String.valueOf(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServeException(503, "ServiceUnavailableError", "the server is shutting down");
        }
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        if (request.stream()) {
            stream(exchange, chat, id, request.model(), result);
        } else {
            reply(exchange, 200, OpenAiAnswers.full(chat, id, request.model(), created(), result));
        }
    }

    private void stream(HttpExchange exchange, boolean chat, String id, String model, JsonNode result) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        for (ObjectNode chunk : OpenAiAnswers.chunks(chat, id, model, created(), result)) {
            out.write(("data: " + JSON.writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private void loadAdapter(HttpExchange exchange) throws IOException {
        JsonNode body = readBody(exchange);
        String name = adapterName(body);
        Path dir = check.check(OpenAiRequest.text(body, "lora_path", true));
        pool.register(name, dir);
        replyText(exchange, "Success: LoRA adapter '" + name + "' added successfully.");
    }

    private void unloadAdapter(HttpExchange exchange) throws IOException {
        String name = adapterName(readBody(exchange));
        pool.unregister(name);
        replyText(exchange, "Success: LoRA adapter '" + name + "' removed successfully.");
    }

    private String adapterName(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ServeException.badRequest("the request body must be a JSON object");
        }
        String name = OpenAiRequest.text(body, "lora_name", true);
        if (!ADAPTER_NAME.matcher(name).matches() || name.equals(baseName)) {
            throw ServeException.badRequest("'lora_name' must be 1-64 letters, digits, '.', '_' or '-', and not the base's name");
        }
        return name;
    }

    private JsonNode readBody(HttpExchange exchange) throws IOException {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null && length.matches("\\d{1,18}") && Long.parseLong(length) > options.maxBodyBytes()) {
            try (InputStream in = exchange.getRequestBody()) {
                in.skip(64L << 20);  // so that the client reads the answer rather than a reset; a bigger body is cut off
            }
            throw new ServeException(413, "invalid_request_error", "the request body is over " + options.maxBodyBytes() + " bytes");
        }
        byte[] bytes;
        try (InputStream in = exchange.getRequestBody()) {
            bytes = in.readNBytes(options.maxBodyBytes() + 1);
        }
        if (bytes.length > options.maxBodyBytes()) {
            throw new ServeException(413, "invalid_request_error", "the request body is over " + options.maxBodyBytes() + " bytes");
        }
        try {
            return JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ServeException.badRequest("the request body is not valid JSON: " + Printable.of(e.getOriginalMessage()));
        }
    }

    private long created() {
        return System.currentTimeMillis() / 1000;
    }

    private void replyError(HttpExchange exchange, ServeException e) throws IOException {
        metrics.error(e.status());
        ObjectNode error = JSON.createObjectNode();
        error.putObject("error").put("message", Printable.of(e.getMessage())).put("type", e.type()).putNull("param").put("code", e.status());
        reply(exchange, e.status(), error);
    }

    private static void reply(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static void replyText(HttpExchange exchange, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
