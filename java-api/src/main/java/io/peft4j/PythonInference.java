package io.peft4j;

import io.peft4j.bridge.PythonRuntime;
import io.peft4j.peft.AdapterConfig;
import io.peft4j.peft.LoraAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Calls {@code peft4j_bridge.generate}: generation and evaluation with a base plus adapters. Every
 * argument is checked here first, as merges check theirs, so Python only sees inputs that can work.
 */
final class PythonInference {

    private PythonInference() {}

    static Generation generate(Path base, List<Path> adapters, String prompt, GenerateOptions options) {
        requireModel(base);
        adapters.forEach(PythonInference::requireAdapter);
        if (!options.weights().isEmpty() && options.weights().size() != adapters.size()) {
            throw new GenerateOptionsException(options.weights().size() + " weights given for " + adapters.size() + " adapters");
        }
        GenerateRequest request = new GenerateRequest(base, adapters, prompt, options);
        String json = PythonRuntime.get().callAs(String.class, "generate", "generate_json", Contract.write(request));
        return Contract.read(json, Generation.class);
    }

    static EvalResult evaluate(Path base, Path adapter, Path data, int batchSize, int maxLength) {
        requireModel(base);
        if (adapter != null) {
            requireAdapter(adapter);
        }
        if (!Files.isRegularFile(data)) {
            throw new GenerateOptionsException(data + ": data file not found");
        }
        EvalRequest request = new EvalRequest(base, Optional.ofNullable(adapter), DataFile.validate(data), batchSize,
                maxLength, TrainConfig.DEFAULTS.completionOnlyLoss());
        String json = PythonRuntime.get().callAs(String.class, "generate", "evaluate_json", Contract.write(request));
        return Contract.read(json, EvalResult.class);
    }

    private static void requireModel(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new GenerateOptionsException(dir + ": base model directory not found");
        }
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new GenerateOptionsException(dir + ": not a model directory (no config.json)");
        }
    }

    /**
     * A PEFT adapter folder: a valid {@code adapter_config.json} and safetensors weights (pickles are
     * refused); a LoRA adapter is loaded in full, as a merge would.
     */
    private static void requireAdapter(Path dir) {
        AdapterConfig config = AdapterConfig.read(dir);
        if (config.peftType().equals("LORA")) {
            LoraAdapter.load(dir).close();
        } else {
            LoraAdapter.weightsFile(dir);
        }
    }
}
