package io.peft4j.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A base model directory as transformers saves it: {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json}, plus {@code config.json}, tokenizer and other files. Every
 * shard is memory-mapped; tensors are read on demand, one at a time.
 */
final class BaseCheckpoint implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String INDEX = "model.safetensors.index.json";

    private final Path directory;
    private final List<SafetensorsFile> shards;
    private final Map<String, SafetensorsFile> byName;
    private final JsonNode config;

    private BaseCheckpoint(Path directory, List<SafetensorsFile> shards, JsonNode config) {
        this.directory = directory;
        this.shards = shards;
        this.config = config;
        this.byName = new LinkedHashMap<>();
        for (SafetensorsFile shard : shards) {
            for (TensorInfo info : shard.tensors()) {
                if (byName.putIfAbsent(info.name(), shard) != null) {
                    throw new MergeException(directory + ": tensor " + info.name() + " appears in two shards");
                }
            }
        }
    }

    /** Opens the checkpoint in {@code directory}. */
    static BaseCheckpoint open(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new MergeException(directory + ": base model directory does not exist");
        }
        List<Path> files = shardFiles(directory);
        List<SafetensorsFile> shards = new ArrayList<>();
        try {
            for (Path file : files) {
                shards.add(SafetensorsFile.open(file));
            }
            return new BaseCheckpoint(directory, shards, readConfig(directory));
        } catch (RuntimeException e) {
            shards.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static List<Path> shardFiles(Path directory) {
        Path index = directory.resolve(INDEX);
        try {
            if (Files.isRegularFile(index)) {
                JsonNode map = JSON.readTree(index.toFile()).path("weight_map");
                List<Path> files = new ArrayList<>();
                for (JsonNode file : (Iterable<JsonNode>) map::elements) {
                    Path shard = directory.resolve(file.asText()).normalize();
                    if (!shard.getParent().equals(directory.normalize())) {
                        throw new MergeException(index + ": shard " + file.asText() + " is outside the directory");
                    }
                    if (!files.contains(shard)) {
                        files.add(shard);
                    }
                }
                if (files.isEmpty()) {
                    throw new MergeException(index + ": weight_map is empty");
                }
                return files;
            }
            try (Stream<Path> list = Files.list(directory)) {
                List<Path> files = list.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
                if (files.isEmpty()) {
                    throw new MergeException(directory + ": no .safetensors weights (pickled .bin checkpoints are not read)");
                }
                return files;
            }
        } catch (IOException e) {
            throw new MergeException(directory + ": cannot read: " + e.getMessage(), e);
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
        return shards.stream().flatMap(s -> s.tensors().stream()).toList();
    }

    /** Every tensor name. */
    java.util.Set<String> names() {
        return byName.keySet();
    }

    /** The entry of a tensor, if present. */
    Optional<TensorInfo> find(String name) {
        SafetensorsFile shard = byName.get(name);
        return shard == null ? Optional.empty() : shard.find(name);
    }

    /** A zero-copy view of a tensor. */
    Tensor tensor(String name) {
        return byName.get(name).tensor(name);
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
                        return !name.endsWith(".safetensors") && !name.equals(INDEX) && !name.endsWith(".bin")
                                && !name.endsWith(".pt") && !name.endsWith(".pth");
                    })
                    .sorted().toList();
        } catch (IOException e) {
            throw new MergeException(directory + ": cannot list: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        shards.forEach(SafetensorsFile::close);
    }
}
