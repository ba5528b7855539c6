package io.peft4j.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.safetensors.Safetensors;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorInfo;
import io.peft4j.safetensors.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A base model directory as transformers saves it: the weights ({@code model.safetensors}, or
 * shards listed by an index, memory-mapped and read on demand, one tensor at a time) plus
 * {@code config.json}, tokenizer and other files.
 */
final class BaseCheckpoint implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path directory;
    private final TensorSource weights;
    private final Set<String> names;
    private final JsonNode config;

    private BaseCheckpoint(Path directory, TensorSource weights, JsonNode config) {
        this.directory = directory;
        this.weights = weights;
        this.config = config;
        this.names = new LinkedHashSet<>();
        weights.tensors().forEach(t -> names.add(t.name()));
    }

    /** Opens the checkpoint in {@code directory}. */
    static BaseCheckpoint open(Path directory) {
        return open(directory, directory);
    }

    /**
     * Opens the checkpoint in {@code directory} whose weights are {@code weights}: a
     * {@code .safetensors} file, an index, or the directory itself (see {@link Safetensors#open}).
     */
    static BaseCheckpoint open(Path directory, Path weightsPath) {
        if (!Files.isDirectory(directory)) {
            throw new MergeException(directory + ": base model directory does not exist");
        }
        TensorSource weights = Safetensors.open(weightsPath);
        try {
            return new BaseCheckpoint(directory, weights, readConfig(directory));
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    private static JsonNode readConfig(Path directory) {
        Path file = directory.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new MergeException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    /** The directory. */
    Path directory() {
        return directory;
    }

    /** Every tensor entry, shard by shard, in file order. */
    List<TensorInfo> tensors() {
        return weights.tensors();
    }

    /** Every tensor name. */
    Set<String> names() {
        return names;
    }

    /** The entry of a tensor, if present. */
    Optional<TensorInfo> find(String name) {
        return weights.find(name);
    }

    /** A zero-copy view of a tensor. */
    Tensor tensor(String name) {
        return weights.tensor(name);
    }

    /** Whether {@code config.json} declares a quantization (bitsandbytes, GPTQ, AWQ, ...). */
    boolean quantized() {
        return config.hasNonNull("quantization_config");
    }

    /** Whether {@code config.json} ties the input embedding to the output head. */
    boolean tiedEmbeddings() {
        JsonNode tie = config.get("tie_word_embeddings");
        return tie != null && tie.asBoolean(false) || tie == null && "gpt2".equals(config.path("model_type").asText());
    }

    /** The files to copy unchanged into a merged model: everything except the weights and their index. */
    List<Path> otherFiles() {
        try (Stream<Path> list = Files.list(directory)) {
            return list.filter(Files::isRegularFile)
                    .filter(p -> {
                        String name = p.getFileName().toString();
                        return !name.endsWith(".safetensors") && !name.endsWith(".safetensors.index.json") && !name.endsWith(".bin")
                                && !name.endsWith(".pt") && !name.endsWith(".pth");
                    })
                    .sorted().toList();
        } catch (IOException e) {
            throw new MergeException(directory + ": cannot list: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        weights.close();
    }
}
