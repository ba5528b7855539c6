package io.peft4j.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.core.JsonErrors;
import io.peft4j.core.Peft4jException;
import io.peft4j.core.RegularFiles;
import io.peft4j.safetensors.SafetensorsFormatException.Rule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A sharded checkpoint: a {@code *.safetensors.index.json} (as transformers' {@code save_pretrained}
 * writes it) and the shard files it names, presented as one set of tensors. Every shard is
 * opened and validated at open, and every tensor of the index's {@code weight_map} is checked to
 * be in its shard.
 */
public final class ShardedSafetensors implements TensorSource {

    /** The index name transformers uses for a model without variant. */
    public static final String INDEX_NAME = "model.safetensors.index.json";
    /** The suffix of every safetensors index file. */
    public static final String INDEX_SUFFIX = ".safetensors.index.json";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path index;
    private final Map<String, String> indexMetadata;
    private final List<SafetensorsFile> shards;
    private final Map<String, SafetensorsFile> shardOf;
    private final List<TensorInfo> tensors;

    private ShardedSafetensors(Path index, Map<String, String> indexMetadata, List<SafetensorsFile> shards,
                               Map<String, SafetensorsFile> shardOf, List<TensorInfo> tensors) {
        this.index = index;
        this.indexMetadata = indexMetadata;
        this.shards = shards;
        this.shardOf = shardOf;
        this.tensors = tensors;
    }

    /**
     * Opens the checkpoint of an index file, or of a directory holding {@value #INDEX_NAME} or
     * exactly one {@code *.safetensors.index.json}.
     *
     * @throws SafetensorsFormatException if the index or a shard breaks a rule
     * @throws Peft4jException            if no index is found or a file cannot be read
     */
    public static ShardedSafetensors open(Path dirOrIndexJson) {
        Path index = Files.isDirectory(dirOrIndexJson) ? findIndex(dirOrIndexJson) : dirOrIndexJson;
        JsonNode root = readIndex(index);
        JsonNode weightMap = root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new SafetensorsFormatException(index, Rule.INVALID_INDEX, "index has no weight_map object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        JsonNode meta = root.get("metadata");
        if (meta != null && !meta.isNull()) {
            if (!meta.isObject()) {
                throw new SafetensorsFormatException(index, Rule.INVALID_INDEX, "index metadata is not an object");
            }
            meta.properties().forEach(e -> metadata.put(e.getKey(),
                    e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
        }
        Map<String, String> fileOf = new HashMap<>();
        TreeMap<String, Path> files = new TreeMap<>();
        Path dir = index.toAbsolutePath().getParent();
        for (var e : weightMap.properties()) {
            if (!e.getValue().isTextual()) {
                throw new SafetensorsFormatException(index, Rule.INVALID_INDEX, "weight_map value of '" + e.getKey()
                        + "' is not a file name");
            }
            String name = e.getValue().asText();
            Path shard = dir.resolve(name).normalize();
            if (name.isEmpty() || !shard.startsWith(dir.normalize()) || shard.equals(dir.normalize())) {
                throw new SafetensorsFormatException(index, Rule.INVALID_INDEX, "weight_map file '" + name
                        + "' is outside the checkpoint directory");
            }
            fileOf.put(e.getKey(), name);
            files.putIfAbsent(name, shard);
        }
        return openShards(index, metadata, fileOf, files);
    }

    private static ShardedSafetensors openShards(Path index, Map<String, String> metadata, Map<String, String> fileOf,
                                                 TreeMap<String, Path> files) {
        Map<String, SafetensorsFile> byFile = new LinkedHashMap<>();
        try {
            for (var e : files.entrySet()) {
                if (!Files.isRegularFile(e.getValue())) {
                    throw new SafetensorsFormatException(index, Rule.SHARD_MISSING, "shard " + e.getKey()
                            + " named by the weight_map does not exist");
                }
                byFile.put(e.getKey(), SafetensorsFile.open(e.getValue()));
            }
            Map<String, SafetensorsFile> shardOf = new HashMap<>();
            for (var e : fileOf.entrySet()) {
                SafetensorsFile shard = byFile.get(e.getValue());
                if (shard.find(e.getKey()).isEmpty()) {
                    throw new SafetensorsFormatException(index, Rule.SHARD_TENSOR_MISSING, "shard " + e.getValue()
                            + " has no tensor '" + e.getKey() + "' as the weight_map says");
                }
                shardOf.put(e.getKey(), shard);
            }
            List<TensorInfo> tensors = new ArrayList<>(fileOf.size());
            for (SafetensorsFile shard : byFile.values()) {
                for (TensorInfo info : shard.tensors()) {
                    if (shardOf.get(info.name()) == shard) {
                        tensors.add(info);
                    }
                }
            }
            return new ShardedSafetensors(index, Collections.unmodifiableMap(metadata),
                    List.copyOf(byFile.values()), shardOf, Collections.unmodifiableList(tensors));
        } catch (RuntimeException e) {
            byFile.values().forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static JsonNode readIndex(Path index) {
        try {
            JsonNode root = JSON.readTree(RegularFiles.readConfig(index));
            if (root == null || !root.isObject()) {
                throw new SafetensorsFormatException(index, Rule.INVALID_INDEX, "index is not a JSON object");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new SafetensorsFormatException(index, Rule.INVALID_INDEX, "index is not valid JSON: "
                    + JsonErrors.describe(e));
        }
    }

    /** The index in {@code dir}: {@value #INDEX_NAME}, else the only {@code *.safetensors.index.json}. */
    static Path findIndex(Path dir) {
        Path standard = dir.resolve(INDEX_NAME);
        if (Files.isRegularFile(standard)) {
            return standard;
        }
        List<Path> found = list(dir, INDEX_SUFFIX);
        if (found.size() != 1) {
            throw new Peft4jException(dir + ": " + (found.isEmpty() ? "no *" + INDEX_SUFFIX + " file"
                    : "several index files and none is " + INDEX_NAME + ": " + names(found)));
        }
        return found.getFirst();
    }

    /** The regular files in {@code dir} whose names end with {@code suffix}, sorted by name. */
    static List<Path> list(Path dir, String suffix) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(p -> p.getFileName().toString().endsWith(suffix) && Files.isRegularFile(p))
                    .sorted().toList();
        } catch (IOException e) {
            throw new Peft4jException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    static String names(List<Path> paths) {
        return String.join(", ", paths.stream().map(p -> p.getFileName().toString()).toList());
    }

    @Override
    public List<TensorInfo> tensors() {
        return tensors;
    }

    @Override
    public Optional<TensorInfo> find(String name) {
        SafetensorsFile shard = shardOf.get(name);
        return shard == null ? Optional.empty() : shard.find(name);
    }

    @Override
    public Tensor tensor(String name) {
        SafetensorsFile shard = shardOf.get(name);
        if (shard == null) {
            throw new TensorNotFoundException(index, name);
        }
        return shard.tensor(name);
    }

    /** The shard holding tensor {@code name}, if any. */
    public Optional<SafetensorsFile> shardOf(String name) {
        return Optional.ofNullable(shardOf.get(name));
    }

    /** The shards, sorted by file name. */
    public List<SafetensorsFile> shards() {
        return shards;
    }

    /** The {@code __metadata__} of the first shard (transformers writes the same in every shard). */
    @Override
    public Map<String, String> metadata() {
        return shards.isEmpty() ? Map.of() : shards.getFirst().metadata();
    }

    /**
     * The index's {@code metadata} object (e.g. {@code total_size}, {@code total_parameters}),
     * values as text.
     */
    public Map<String, String> indexMetadata() {
        return indexMetadata;
    }

    /** The index file. */
    @Override
    public Path path() {
        return index;
    }

    @Override
    public void close() {
        shards.forEach(SafetensorsFile::close);
    }

    @Override
    public String toString() {
        return "ShardedSafetensors[" + index + ", " + shards.size() + " shards, " + tensors.size() + " tensors]";
    }
}
