package io.peft4j.serve;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How an {@link AdapterServer} runs.
 *
 * @param base the base model folder (transformers layout)
 * @param adapters adapters registered at start, name to PEFT adapter folder (loaded on first use)
 * @param host the address to bind; {@code 127.0.0.1} unless told otherwise
 * @param port the port; 0 picks a free one
 * @param maxLoaded adapters kept loaded at once; more are evicted least-recently-used
 * @param maxBatch requests generated together in one batch at most
 * @param batchWindow how long the first request of a batch waits for others to join it
 * @param maxTokens the largest {@code max_tokens} a request may ask for
 * @param maxBodyBytes the largest request body
 * @param maxQueued requests waiting at most; more are answered 503
 */
public record ServeOptions(Path base, Map<String, Path> adapters, String host, int port, int maxLoaded, int maxBatch,
                           Duration batchWindow, int maxTokens, int maxBodyBytes, int maxQueued) {

    /** Checks the limits. */
    public ServeOptions {
        adapters = Map.copyOf(new LinkedHashMap<>(adapters));
        require(port >= 0 && port <= 65535, "port must be between 0 and 65535");
        require(maxLoaded >= 1, "max-loaded must be at least 1");
        require(maxBatch >= 1 && maxBatch <= 256, "max-batch must be between 1 and 256");
        require(!batchWindow.isNegative() && batchWindow.compareTo(Duration.ofSeconds(1)) <= 0, "the batch window must be between 0 and 1 s");
        require(maxTokens >= 1 && maxTokens <= 8192, "the max_tokens limit must be between 1 and 8192");
        require(maxBodyBytes >= 1024, "the body limit must be at least 1024 bytes");
        require(maxQueued >= 1, "the queue must hold at least one request");
    }

    /** Defaults: 127.0.0.1:8000, 8 loaded, batches of 16 gathered for 10 ms, max_tokens up to 1024, 1 MB bodies, 256 queued. */
    public static ServeOptions of(Path base, Map<String, Path> adapters) {
        return new ServeOptions(base, adapters, "127.0.0.1", 8000, 8, 16, Duration.ofMillis(10), 1024, 1 << 20, 256);
    }

    /** These options on another port. */
    public ServeOptions withPort(int newPort) {
        return new ServeOptions(base, adapters, host, newPort, maxLoaded, maxBatch, batchWindow, maxTokens, maxBodyBytes, maxQueued);
    }

    /** These options bound to another address. */
    public ServeOptions withHost(String newHost) {
        return new ServeOptions(base, adapters, newHost, port, maxLoaded, maxBatch, batchWindow, maxTokens, maxBodyBytes, maxQueued);
    }

    /** These options with other batching and loading limits. */
    public ServeOptions withLimits(int newMaxLoaded, int newMaxBatch) {
        return new ServeOptions(base, adapters, host, port, newMaxLoaded, newMaxBatch, batchWindow, maxTokens, maxBodyBytes, maxQueued);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
