package io.peft4j.merge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.core.JsonErrors;
import io.peft4j.core.RegularFiles;
import io.peft4j.safetensors.Safetensors;
import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.ShardedSafetensors;
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
 *
 * <p>Every file used (weights, index, config, the files copied into a merged model) must lie inside
 * the directory: a symbolic link pointing outside it is refused, so that a merge never copies, say,
 * {@code tokenizer.json -> /etc/hostname} into a folder that may be uploaded. The one exception is a
 * Hugging Face cache snapshot, whose files are links into the repository's {@code blobs/} folder.
 */
final class BaseCheckpoint implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path directory;
    private final TensorSource weights;
    private final Set<String> names;
    private final JsonNode config;
    private final List<Path> otherFiles;

    private BaseCheckpoint(Path directory, TensorSource weights, JsonNode config, List<Path> otherFiles) {
        this.directory = directory;
        this.weights = weights;
        this.config = config;
        this.otherFiles = otherFiles;
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
            List<Path> files = weights instanceof ShardedSafetensors sharded
                    ? Stream.concat(Stream.of(sharded.path()), sharded.shards().stream().map(SafetensorsFile::path)).toList()
                    : List.of(weights.path());
            List<Path> others = listOtherFiles(directory);
            Stream.concat(files.stream(), others.stream()).forEach(file -> requireInside(directory, file));
            return new BaseCheckpoint(directory, weights, readConfig(directory), others);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /**
     * Refuses {@code file} if it is a symbolic link to something outside {@code directory}, unless
     * {@code directory} is (inside) a snapshot of a Hugging Face cache and the link resolves into that
     * repository's {@code blobs/} folder, as every snapshot file does.
     */
    private static void requireInside(Path directory, Path file) {
        if (!Files.isSymbolicLink(file)) {
            return;
        }
        Path folder;
        Path target;
        try {
            folder = directory.toRealPath();
            target = file.toRealPath();
        } catch (IOException e) {
            throw new MergeException(file + ": cannot resolve the symbolic link: " + e.getMessage(), e);
        }
        if (target.startsWith(folder) || target.getParent().equals(cacheBlobs(folder))) {
            return;
        }
        throw new MergeException(file + ": a symbolic link to " + target + ", outside the model folder; a merge uses"
                + " only files inside it (or, in a Hugging Face cache snapshot, in the repository's blobs/)");
    }

    /** {@code <repo>/blobs} when {@code folder} lies in {@code <repo>/snapshots/<commit>}, else null. */
    private static Path cacheBlobs(Path folder) {
        for (Path p = folder; p.getParent() != null; p = p.getParent()) {
            if (p.getParent().getFileName() != null && p.getParent().getFileName().toString().equals("snapshots")) {
                return p.getParent().resolveSibling("blobs");
            }
        }
        return null;
    }

    private static JsonNode readConfig(Path directory) {
        Path file = directory.resolve("config.json");
        if (Files.notExists(file)) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(RegularFiles.readConfig(file));
        } catch (JsonProcessingException e) {
            throw new MergeException(file + ": not valid JSON: " + JsonErrors.describe(e), e);
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
        return otherFiles;
    }

    private static List<Path> listOtherFiles(Path directory) {
        try (Stream<Path> list = Files.list(directory)) {
            List<Path> files = list.filter(Files::isRegularFile)
                    .filter(p -> {
                        String name = p.getFileName().toString();
                        return !name.endsWith(".safetensors") && !name.endsWith(".safetensors.index.json") && !name.endsWith(".bin")
                                && !name.endsWith(".pt") && !name.endsWith(".pth");
                    })
                    .sorted().toList();
            return files;
        } catch (IOException e) {
            throw new MergeException(directory + ": cannot list: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        weights.close();
    }
}
