package io.peft4j.merge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.TensorInfo;
import io.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Splits tensors into safetensors shards the way transformers' {@code save_pretrained} does: in
 * order, a new shard whenever the next tensor would exceed the maximum size; one file
 * {@code model.safetensors} when everything fits, else {@code model-0000i-of-0000n.safetensors} and
 * {@code model.safetensors.index.json} ({@code metadata.total_size} and {@code weight_map}).
 */
final class ShardedOutput {

    /** Writes the values of one tensor into the shard's writer. */
    @FunctionalInterface
    interface TensorFiller {
        void fill(String name, SafetensorsWriter writer);
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> METADATA = Map.of("format", "pt");

    private final List<List<TensorSpec>> shards;
    private final long totalSize;

    private ShardedOutput(List<List<TensorSpec>> shards, long totalSize) {
        this.shards = shards;
        this.totalSize = totalSize;
    }

    /** Groups {@code specs}, in order, into shards of at most {@code maxShardSize} bytes. */
    static ShardedOutput plan(List<TensorSpec> specs, long maxShardSize) {
        List<List<TensorSpec>> shards = new ArrayList<>();
        List<TensorSpec> current = new ArrayList<>();
        long size = 0;
        long total = 0;
        for (TensorSpec spec : specs) {
            long bytes = spec.byteSize();
            if (!current.isEmpty() && size + bytes > maxShardSize) {
                shards.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(spec);
            size += bytes;
            total += bytes;
        }
        shards.add(current);
        return new ShardedOutput(shards, total);
    }

    /** The number of shard files. */
    int count() {
        return shards.size();
    }

    /** The bytes of tensor data. */
    long totalSize() {
        return totalSize;
    }

    /** Writes every shard (and the index when there are several) into {@code directory}. */
    void write(Path directory, TensorFiller filler) {
        ObjectNode weightMap = JSON.createObjectNode();
        for (int i = 0; i < shards.size(); i++) {
            String file = shards.size() == 1 ? "model.safetensors"
                    : String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            try (SafetensorsWriter writer = SafetensorsWriter.create(directory.resolve(file), shards.get(i), METADATA)) {
                for (TensorInfo info : writer.layout()) {
                    filler.fill(info.name(), writer);
                    weightMap.put(info.name(), file);
                }
                writer.commit();
            }
        }
        if (shards.size() > 1) {
            ObjectNode index = JSON.createObjectNode();
            index.putObject("metadata").put("total_size", totalSize);
            index.set("weight_map", weightMap);
            try {
                Files.writeString(directory.resolve(BaseCheckpoint.INDEX),
                        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index) + "\n");
            } catch (IOException e) {
                throw new MergeException(directory + ": cannot write the shard index: " + e.getMessage(), e);
            }
        }
    }
}
