package io.peft4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.peft4j.bridge.PythonRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Calls {@code peft4j_bridge.generate}: generation and evaluation with a base plus adapters. */
final class PythonInference {

    private PythonInference() {}

    static Generation generate(Path base, List<Path> adapters, String prompt, GenerateOptions o) {
        requireDirectory(base, "base model");
        adapters.forEach(a -> requireDirectory(a, "adapter"));
        if (!o.weights().isEmpty() && o.weights().size() != adapters.size()) {
            throw new TrainConfigException(o.weights().size() + " weights given for " + adapters.size() + " adapters");
        }
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("max_new_tokens", o.maxNewTokens());
        params.put("temperature", o.temperature());
        params.put("top_p", o.topP());
        params.put("top_k", o.topK());
        params.put("repetition_penalty", o.repetitionPenalty());
        params.put("seed", o.seed());
        params.put("chat", o.chat());
        params.put("weights", o.weights().isEmpty() ? null : o.weights());
        String json = PythonRuntime.get().callAs(String.class, "generate", "generate_json", PythonTraining.abs(base),
                write(adapters.stream().map(PythonTraining::abs).toList()), prompt, write(params));
        JsonNode r = PythonTraining.readTree(json);
        return new Generation(r.get("text").asText(), r.get("prompt_tokens").asInt(), r.get("new_tokens").asInt());
    }

    static EvalResult evaluate(Path base, Path adapter, Path data, int batchSize, int maxLength) {
        requireDirectory(base, "base model");
        if (adapter != null) {
            requireDirectory(adapter, "adapter");
        }
        if (!Files.isRegularFile(data)) {
            throw new TrainConfigException(data + ": data file not found");
        }
        String params = write(Map.of("batch_size", batchSize, "max_length", maxLength));
        String json = PythonRuntime.get().callAs(String.class, "generate", "evaluate_json", PythonTraining.abs(base),
                adapter == null ? "" : PythonTraining.abs(adapter), PythonTraining.abs(data), params);
        JsonNode r = PythonTraining.readTree(json);
        return new EvalResult(r.get("loss").asDouble(), r.get("perplexity").asDouble(), r.get("tokens").asLong(),
                r.get("examples").asInt());
    }

    private static void requireDirectory(Path dir, String what) {
        if (!Files.isDirectory(dir)) {
            throw new TrainConfigException(dir + ": " + what + " directory not found");
        }
    }

    private static String write(Object value) {
        try {
            return PythonTraining.JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
