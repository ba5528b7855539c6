package io.peft4j.safetensors;

import io.peft4j.core.Peft4jException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes a checkpoint split into shards exactly as transformers' {@code save_pretrained} does
 * (huggingface_hub's {@code split_state_dict_into_shards_factory}): tensors are taken in the given
 * (state_dict) order and a new shard starts when the next tensor would push the current one past
 * the maximum size; a tensor larger than the maximum gets a shard of its own. Several shards are
 * named {@code model-00001-of-00003.safetensors} ... with a {@code model.safetensors.index.json}
 * laid out as transformers writes it; one shard is a plain {@code model.safetensors}. Tensors are
 * streamed one at a time (any order); every file goes to a temporary name and all are renamed into
 * place at {@link #commit()}. Several threads may write at once.
 */
public final class ShardedSafetensorsWriter implements AutoCloseable {

    private static final Pattern SHARD_NAME = Pattern.compile("(.*?)-\\d{5}-of-\\d{5}");

    /**
     * One planned file.
     *
     * @param fileName the file's name in the checkpoint directory
     * @param tensors  its tensors, in state_dict order
     */
    public record Shard(String fileName, List<TensorSpec> tensors) {

        /** Creates a shard, copying the list. */
        public Shard {
            tensors = List.copyOf(tensors);
        }

        /** Bytes of tensor data in the shard. */
        public long dataSize() {
            return tensors.stream().mapToLong(TensorSpec::byteSize).sum();
        }
    }

    private final Path dir;
    private final String weightsName;
    private final List<Shard> shards;
    private final Map<String, String> metadata;
    private final long totalParameters;
    private final Map<String, Integer> shardIndex = new HashMap<>();
    private final SafetensorsWriter[] writers;
    private boolean committed;

    private ShardedSafetensorsWriter(Path dir, String weightsName, List<Shard> shards, Map<String, String> metadata,
                                     long totalParameters) {
        this.dir = dir;
        this.weightsName = weightsName;
        this.shards = shards;
        this.metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
        this.totalParameters = totalParameters;
        for (int i = 0; i < shards.size(); i++) {
            for (TensorSpec t : shards.get(i).tensors()) {
                shardIndex.put(t.name(), i);
            }
        }
        this.writers = new SafetensorsWriter[shards.size()];
    }

    /**
     * Starts a {@code model.safetensors} checkpoint in {@code dir}, with transformers' shard
     * metadata {@code {"format": "pt"}} and {@code total_parameters} the sum of all elements.
     *
     * @param tensors      every tensor, in state_dict order (this order decides the split)
     * @param maxShardSize the largest shard in bytes (see {@link #parseSize(String)})
     */
    public static ShardedSafetensorsWriter create(Path dir, List<TensorSpec> tensors, long maxShardSize) {
        return create(dir, Safetensors.MODEL_FILE, tensors, maxShardSize, Map.of("format", "pt"), OptionalLong.empty());
    }

    /**
     * Starts a checkpoint in {@code dir}.
     *
     * @param weightsName     the unsharded file name, e.g. {@code model.safetensors}; shards are
     *                        named by inserting {@code -0000k-of-0000n} before {@code .safetensors}
     * @param tensors         every tensor, in state_dict order (this order decides the split)
     * @param maxShardSize    the largest shard in bytes
     * @param metadata        the {@code __metadata__} of every shard (transformers writes {@code {"format": "pt"}})
     * @param totalParameters the index's {@code total_parameters} (transformers writes
     *                        {@code model.num_parameters()}); empty for the sum of all elements
     * @throws IllegalArgumentException on a bad name, size or duplicate tensor
     */
    public static ShardedSafetensorsWriter create(Path dir, String weightsName, List<TensorSpec> tensors,
                                                  long maxShardSize, Map<String, String> metadata,
                                                  OptionalLong totalParameters) {
        if (!weightsName.endsWith(".safetensors") || weightsName.contains("/") || weightsName.contains("\\")) {
            throw new IllegalArgumentException("weights name must be a plain *.safetensors file name: " + weightsName);
        }
        List<Shard> shards = plan(tensors, maxShardSize, weightsName);
        long parameters = totalParameters.orElseGet(() -> tensors.stream().mapToLong(TensorSpec::numel).sum());
        return new ShardedSafetensorsWriter(dir, weightsName, shards, metadata, parameters);
    }

    /**
     * Splits {@code tensors} (in state_dict order) into shards of at most {@code maxShardSize}
     * bytes the way huggingface_hub does, naming them after {@code weightsName}.
     */
    public static List<Shard> plan(List<TensorSpec> tensors, long maxShardSize, String weightsName) {
        if (maxShardSize <= 0) {
            throw new IllegalArgumentException("max shard size must be positive: " + maxShardSize);
        }
        List<List<TensorSpec>> groups = new ArrayList<>();
        List<TensorSpec> current = new ArrayList<>();
        long currentSize = 0;
        for (TensorSpec t : tensors) {
            long size = t.byteSize();
            if (size > maxShardSize) {
                groups.add(List.of(t));
                continue;
            }
            if (currentSize + size > maxShardSize) {
                groups.add(current);
                current = new ArrayList<>();
                currentSize = 0;
            }
            current.add(t);
            currentSize += size;
        }
        if (!current.isEmpty() || groups.isEmpty()) {
            groups.add(current);
        }
        String stem = weightsName.substring(0, weightsName.length() - ".safetensors".length());
        List<Shard> shards = new ArrayList<>(groups.size());
        for (int i = 0; i < groups.size(); i++) {
            String name = groups.size() == 1 ? weightsName
                    : String.format(Locale.ROOT, "%s-%05d-of-%05d.safetensors", stem, i + 1, groups.size());
            shards.add(new Shard(name, groups.get(i)));
        }
        return List.copyOf(shards);
    }

    /**
     * Parses a size like {@code "5GB"}, {@code "500MB"}, {@code "1.5GB"} or {@code "1000"} into
     * bytes with decimal units (KB = 1000, as huggingface_hub's {@code parse_size_to_int}).
     *
     * @throws IllegalArgumentException if the text is not such a size
     */
    public static long parseSize(String size) {
        String s = size.strip();
        if (!s.isEmpty() && s.chars().allMatch(Character::isDigit)) {
            return Long.parseLong(s);
        }
        if (s.length() < 3) {
            throw new IllegalArgumentException("not a size: '" + size + "' (use e.g. 5GB, 500MB)");
        }
        long multiplier = switch (s.substring(s.length() - 2).toUpperCase(Locale.ROOT)) {
            case "TB" -> 1_000_000_000_000L;
            case "GB" -> 1_000_000_000L;
            case "MB" -> 1_000_000L;
            case "KB" -> 1_000L;
            default -> throw new IllegalArgumentException("unit of '" + size + "' is not TB, GB, MB or KB");
        };
        try {
            double value = Double.parseDouble(s.substring(0, s.length() - 2).strip());
            if (!(value >= 0) || Double.isInfinite(value)) {
                throw new IllegalArgumentException("not a size: '" + size + "'");
            }
            return (long) (value * multiplier);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a size: '" + size + "' (use e.g. 5GB, 500MB)");
        }
    }

    /** The planned files, in order. */
    public List<Shard> shards() {
        return shards;
    }

    /** Whether the checkpoint has more than one file (and so an index). */
    public boolean isSharded() {
        return shards.size() > 1;
    }

    /** The index file's name: the weights name plus {@code .index.json}. */
    public String indexName() {
        return weightsName + ".index.json";
    }

    /** Writes the raw little-endian bytes of tensor {@code name} into its shard. */
    public void write(String name, MemorySegment bytes) {
        SafetensorsWriter writer = writerFor(name);
        writer.write(name, bytes);
        finishIfComplete(writer);
    }

    /** Writes tensor {@code name} from float32 values converted to its dtype (torch's rounding). */
    public void write(String name, float[] values) {
        SafetensorsWriter writer = writerFor(name);
        writer.write(name, values);
        finishIfComplete(writer);
    }

    /**
     * Writes part of tensor {@code name}: {@code bytes} from {@code offset} bytes into its data (see
     * {@link SafetensorsWriter#write(String, long, MemorySegment)}). Several threads may write
     * different tensors or disjoint parts at once; a shard is fsynced as soon as it is complete.
     */
    public void write(String name, long offset, MemorySegment bytes) {
        SafetensorsWriter writer = writerFor(name);
        writer.write(name, offset, bytes);
        finishIfComplete(writer);
    }

    /** Writes a tensor of the same name, dtype and shape as one in the layout. */
    public void write(Tensor tensor) {
        SafetensorsWriter writer = writerFor(tensor.name());
        writer.write(tensor);
        finishIfComplete(writer);
    }

    private synchronized SafetensorsWriter writerFor(String name) {
        if (committed) {
            throw new IllegalStateException(dir + ": checkpoint already committed or closed");
        }
        Integer i = shardIndex.get(name);
        if (i == null) {
            throw new IllegalArgumentException(dir + ": tensor " + name + " is not in the layout");
        }
        if (writers[i] == null) {
            Shard shard = shards.get(i);
            writers[i] = SafetensorsWriter.create(dir.resolve(shard.fileName()), shard.tensors(), metadata);
        }
        return writers[i];
    }

    private static void finishIfComplete(SafetensorsWriter writer) {
        writer.finishIfComplete();
    }

    /**
     * Checks that every tensor was written, then renames every shard into place, then the index
     * (if sharded), and removes shard files of an earlier save that this one does not replace
     * (as transformers does), and an earlier index when the new checkpoint is a single file.
     *
     * @throws IllegalStateException if a tensor was not written
     */
    public synchronized void commit() {
        if (committed) {
            throw new IllegalStateException(dir + ": checkpoint already committed or closed");
        }
        for (int i = 0; i < shards.size(); i++) {
            if (writers[i] == null) {
                writers[i] = SafetensorsWriter.create(dir.resolve(shards.get(i).fileName()), shards.get(i).tensors(),
                        metadata);
            }
            if (!writers[i].isComplete()) {
                throw new IllegalStateException(dir + ": shard " + shards.get(i).fileName() + " is missing tensors");
            }
        }
        for (SafetensorsWriter writer : writers) {
            if (!writer.isFinished()) {
                writer.finish();
            }
        }
        committed = true;
        Path indexTemp = isSharded() ? writeIndexTemp() : null;
        for (SafetensorsWriter writer : writers) {
            writer.publish();
        }
        if (indexTemp != null) {
            moveIntoPlace(indexTemp, dir.resolve(indexName()));
        } else {
            deleteStale(dir.resolve(indexName()));
        }
        removeStaleShards();
    }

    /** The index JSON exactly as transformers writes it ({@code json.dumps(indent=2, sort_keys=True)} + newline). */
    String indexJson() {
        Map<String, Object> meta = new TreeMap<>();
        meta.put("total_parameters", totalParameters);
        meta.put("total_size", shards.stream().mapToLong(Shard::dataSize).sum());
        Map<String, Object> weightMap = new TreeMap<>(PythonJson.CODE_POINT_ORDER);
        for (Shard shard : shards) {
            for (TensorSpec t : shard.tensors()) {
                weightMap.put(t.name(), shard.fileName());
            }
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("metadata", meta);
        root.put("weight_map", weightMap);
        return PythonJson.dumps(root) + "\n";
    }

    private Path writeIndexTemp() {
        Path temp = SafetensorsWriter.tempSibling(dir.resolve(indexName()));
        try {
            Files.write(temp, indexJson().getBytes(StandardCharsets.UTF_8));
            return temp;
        } catch (IOException e) {
            throw new Peft4jException(dir.resolve(indexName()) + ": cannot write: " + e.getMessage(), e);
        }
    }

    private static void moveIntoPlace(Path temp, Path target) {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new Peft4jException(target + ": cannot rename the finished file into place: " + e.getMessage(), e);
        }
    }

    private void removeStaleShards() {
        String stem = weightsName.substring(0, weightsName.length() - ".safetensors".length());
        List<String> current = shards.stream().map(Shard::fileName).toList();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : entries.toList()) {
                String name = p.getFileName().toString();
                String bare = name.replace(".safetensors", "");
                if (name.startsWith(stem) && name.endsWith(".safetensors") && Files.isRegularFile(p)
                        && !current.contains(name) && SHARD_NAME.matcher(bare).matches()) {
                    deleteStale(p);
                }
            }
        } catch (IOException e) {
            throw new Peft4jException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    private static void deleteStale(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new Peft4jException(file + ": cannot remove this file of an earlier save: " + e.getMessage(), e);
        }
    }

    /** Deletes every temporary file unless committed. */
    @Override
    public synchronized void close() {
        committed = true;
        for (SafetensorsWriter writer : writers) {
            if (writer != null) {
                writer.close();
            }
        }
    }
}
