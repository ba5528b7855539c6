package io.peft4j.serve;

import java.util.Map;
import java.util.TreeMap;

/**
 * The server's counters, written in Prometheus' text format at {@code GET /metrics}: requests,
 * prompt and generated tokens and generation seconds per model (so tokens/s per adapter is their
 * ratio), queue seconds, batch sizes, adapter loads and evictions, errors by status.
 */
final class ServeMetrics {

    private final Map<String, long[]> perModel = new TreeMap<>();      // requests, prompt tokens, new tokens
    private final Map<String, double[]> generateSeconds = new TreeMap<>();
    private final Map<Integer, Long> errors = new TreeMap<>();
    private double queueSeconds;
    private long batches;
    private long batchedRequests;
    private long largestBatch;
    private long loads;
    private long evictions;

    synchronized void answered(String model, int promptTokens, int newTokens, double seconds) {
        long[] c = perModel.computeIfAbsent(model, k -> new long[3]);
        c[0]++;
        c[1] += promptTokens;
        c[2] += newTokens;
        generateSeconds.computeIfAbsent(model, k -> new double[1])[0] += seconds;
    }

    synchronized void batch(int size, double totalQueueSeconds) {
        batches++;
        batchedRequests += size;
        largestBatch = Math.max(largestBatch, size);
        queueSeconds += totalQueueSeconds;
    }

    synchronized void error(int status) {
        errors.merge(status, 1L, Long::sum);
    }

    synchronized void loaded() {
        loads++;
    }

    synchronized void evicted() {
        evictions++;
    }

    /** The metrics in Prometheus text exposition format 0.0.4. */
    synchronized String text(int loadedNow, int queuedNow) {
        StringBuilder out = new StringBuilder();
        header(out, "peft4j_requests_total", "counter", "Requests answered, by model (base or adapter).");
        perModel.forEach((m, c) -> sample(out, "peft4j_requests_total", m, c[0]));
        header(out, "peft4j_prompt_tokens_total", "counter", "Prompt tokens, by model.");
        perModel.forEach((m, c) -> sample(out, "peft4j_prompt_tokens_total", m, c[1]));
        header(out, "peft4j_generation_tokens_total", "counter", "Generated tokens, by model.");
        perModel.forEach((m, c) -> sample(out, "peft4j_generation_tokens_total", m, c[2]));
        header(out, "peft4j_generation_seconds_total", "counter", "Seconds spent in the batches that answered each model's requests.");
        generateSeconds.forEach((m, s) -> sample(out, "peft4j_generation_seconds_total", m, s[0]));
        header(out, "peft4j_queue_seconds_total", "counter", "Seconds requests waited before their batch started.");
        out.append("peft4j_queue_seconds_total ").append(queueSeconds).append('\n');
        header(out, "peft4j_batches_total", "counter", "Batches generated.");
        out.append("peft4j_batches_total ").append(batches).append('\n');
        header(out, "peft4j_batched_requests_total", "counter", "Requests in all batches (divided by batches: the mean batch size).");
        out.append("peft4j_batched_requests_total ").append(batchedRequests).append('\n');
        header(out, "peft4j_batch_size_max", "gauge", "The largest batch so far.");
        out.append("peft4j_batch_size_max ").append(largestBatch).append('\n');
        header(out, "peft4j_adapter_loads_total", "counter", "Adapters loaded into the model.");
        out.append("peft4j_adapter_loads_total ").append(loads).append('\n');
        header(out, "peft4j_adapter_evictions_total", "counter", "Adapters evicted (least recently used).");
        out.append("peft4j_adapter_evictions_total ").append(evictions).append('\n');
        header(out, "peft4j_adapters_loaded", "gauge", "Adapters loaded now.");
        out.append("peft4j_adapters_loaded ").append(loadedNow).append('\n');
        header(out, "peft4j_queue_length", "gauge", "Requests waiting now.");
        out.append("peft4j_queue_length ").append(queuedNow).append('\n');
        header(out, "peft4j_errors_total", "counter", "Error answers, by HTTP status.");
        errors.forEach((s, n) -> out.append("peft4j_errors_total{status=\"").append(s).append("\"} ").append(n).append('\n'));
        return out.toString();
    }

    private static void header(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder out, String name, String model, Number value) {
        String escaped = model.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
        out.append(name).append("{model=\"").append(escaped).append("\"} ").append(value).append('\n');
    }
}
