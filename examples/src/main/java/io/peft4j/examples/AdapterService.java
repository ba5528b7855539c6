package io.peft4j.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.peft4j.core.Peft4jException;
import io.peft4j.bridge.PythonException;
import io.peft4j.bridge.PythonRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A small HTTP service that answers generation requests with a per-request LoRA adapter on one
 * shared base model: the JVM counterpart of multi-LoRA serving. The base is loaded once; every
 * adapter is loaded onto it under its name at start ({@code peft4j_examples.serving}); each request
 * switches to its adapter. All generation goes through the one {@link PythonRuntime}, so requests
 * from many connections are answered one after another.
 *
 * <p>Endpoints, on 127.0.0.1 only:
 * <ul>
 *   <li>{@code POST /generate} with {@code {"adapter": "name", "prompt": "...", "max_new_tokens": 32}}
 *       ({@code adapter} null or absent: the bare base; {@code max_new_tokens} optional, default 32;
 *       greedy decoding) answers {@code {"adapter", "text", "prompt_tokens", "new_tokens"}};
 *       an unknown adapter gives 404 {@code {"error": "..."}}, a malformed request 400.</li>
 *   <li>{@code GET /adapters} answers {@code {"base": "...", "adapters": {"name": "dir", ...}}}.</li>
 * </ul>
 *
 * <p>Run (after training two adapters, e.g. with {@code ./peft4j train}):
 * <pre>
 * examples/run AdapterService --base BASE_DIR --adapter support=ADAPTER_DIR --adapter legal=ADAPTER_DIR2 --port 8080
 * curl -s localhost:8080/generate -d '{"adapter": "support", "prompt": "Hello"}'
 * </pre>
 * {@code examples/run} builds the examples with {@code mvn -q -pl examples -am package -DskipTests}
 * and runs {@code java --enable-native-access=ALL-UNNAMED -cp "examples/target/classes:java-api/target/classes:java-api/target/lib/*" io.peft4j.examples.AdapterService ...}.
 */
public final class AdapterService implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DEFAULT_MAX_NEW_TOKENS = 32;

    private final PythonRuntime python;
    private final long handle;
    private final Path base;
    private final Map<String, Path> adapters;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    private AdapterService(PythonRuntime python, long handle, Path base, Map<String, Path> adapters, int port) throws IOException {
        this.python = python;
        this.handle = handle;
        this.base = base;
        this.adapters = adapters;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.createContext("/generate", this::generate);
        server.createContext("/adapters", this::listAdapters);
        server.setExecutor(executor);
        server.start();
    }

    /**
     * Loads {@code base} and every adapter (name to directory) into the embedded Python and starts
     * answering on {@code port} of 127.0.0.1 (0 for a free port).
     *
     * @throws Peft4jException if a directory is not a model or adapter
     */
    public static AdapterService start(Path base, Map<String, Path> adapters, int port) throws IOException {
        if (!Files.isRegularFile(base.resolve("config.json"))) {
            throw new Peft4jException(base + ": not a model directory (no config.json)");
        }
        if (adapters.isEmpty()) {
            throw new Peft4jException("no adapters to serve: give at least one --adapter NAME=DIR");
        }
        Map<String, Path> dirs = new LinkedHashMap<>();
        Map<String, String> paths = new LinkedHashMap<>();
        adapters.forEach((name, dir) -> {
            if (!Files.isRegularFile(dir.resolve("adapter_config.json"))) {
                throw new Peft4jException(dir + ": not an adapter directory (no adapter_config.json)");
            }
            dirs.put(name, dir.toAbsolutePath().normalize());
            paths.put(name, dirs.get(name).toString());
        });
        PythonRuntime python = PythonRuntime.get();
        python.addPackage(AdapterService.class, "peft4j_examples");
        long handle = python.callAs(Long.class, "peft4j_examples.serving", "load", base.toAbsolutePath().normalize().toString(), write(paths));
        return new AdapterService(python, handle, base, Map.copyOf(dirs), port);
    }

    /** The service's address, {@code http://127.0.0.1:PORT}. */
    public URI address() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Stops answering and frees the model in Python. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        python.call("peft4j_examples.serving", "unload", handle);
    }

    private void generate(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("POST")) {
                reply(exchange, 405, error("use POST with {\"adapter\": \"name\", \"prompt\": \"...\"}"));
                return;
            }
            JsonNode request;
            try (InputStream body = exchange.getRequestBody()) {
                request = JSON.readTree(body);
            } catch (JsonProcessingException e) {
                reply(exchange, 400, error("request body is not JSON: " + e.getOriginalMessage()));
                return;
            }
            if (request == null || !request.path("prompt").isTextual()) {
                reply(exchange, 400, error("request needs a \"prompt\" string"));
                return;
            }
            String adapter = request.path("adapter").isTextual() ? request.get("adapter").asText() : null;
            if (adapter != null && !adapters.containsKey(adapter)) {
                reply(exchange, 404, error("unknown adapter '" + adapter + "'; served: " + String.join(", ", adapters.keySet().stream().sorted().toList())));
                return;
            }
            int maxNewTokens = request.path("max_new_tokens").asInt(DEFAULT_MAX_NEW_TOKENS);
            if (maxNewTokens <= 0) {
                reply(exchange, 400, error("max_new_tokens must be > 0"));
                return;
            }
            String answer;
            try {
                answer = python.callAs(String.class, "peft4j_examples.serving", "generate_json", handle, adapter == null ? "" : adapter,
                        request.get("prompt").asText(), write(Map.of("max_new_tokens", maxNewTokens)));
            } catch (PythonException e) {
                reply(exchange, 500, error(e.pythonType() + ": " + e.pythonMessage()));
                return;
            }
            ObjectNode result = (ObjectNode) JSON.readTree(answer);
            ObjectNode out = JSON.createObjectNode();
            out.put("adapter", adapter);
            out.setAll(result);
            reply(exchange, 200, out);
        }
    }

    private void listAdapters(HttpExchange exchange) throws IOException {
        try (exchange) {
            ObjectNode out = JSON.createObjectNode();
            out.put("base", base.toString());
            ObjectNode list = out.putObject("adapters");
            adapters.forEach((name, dir) -> list.put(name, dir.toString()));
            reply(exchange, 200, out);
        }
    }

    private static ObjectNode error(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    private static void reply(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static String write(Object value) throws JsonProcessingException {
        return JSON.writeValueAsString(value);
    }

    /**
     * Starts the service: {@code --base DIR --adapter NAME=DIR [--adapter NAME=DIR ...] [--port 8080]};
     * runs until the process is stopped.
     */
    public static void main(String[] args) throws IOException {
        Path base = null;
        Map<String, Path> adapters = new LinkedHashMap<>();
        int port = 8080;
        String usage = "usage: AdapterService --base DIR --adapter NAME=DIR [--adapter NAME=DIR ...] [--port 8080]";
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(usage);
            }
            switch (args[i]) {
                case "--base" -> base = Path.of(args[i + 1]);
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--adapter" -> {
                    String[] pair = args[i + 1].split("=", 2);
                    if (pair.length != 2 || pair[0].isBlank()) {
                        throw new IllegalArgumentException("--adapter takes NAME=DIR, got " + args[i + 1]);
                    }
                    adapters.put(pair[0], Path.of(pair[1]));
                }
                default -> throw new IllegalArgumentException(usage);
            }
        }
        if (base == null) {
            throw new IllegalArgumentException(usage);
        }
        AdapterService service = start(base, adapters, port);
        System.out.println("serving " + String.join(", ", adapters.keySet()) + " on " + base + " at " + service.address()
                + "; try: curl -s " + service.address() + "/generate -d '{\"adapter\": \"" + adapters.keySet().iterator().next()
                + "\", \"prompt\": \"Hello\"}'");
    }
}
