package io.peft4j.safetensors;

import io.peft4j.core.Peft4jException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Entry point: opens whatever safetensors checkpoint a path points at. */
public final class Safetensors {

    /** The weights file name transformers uses for an unsharded model. */
    public static final String MODEL_FILE = "model.safetensors";

    private Safetensors() {
    }

    /**
     * Opens {@code path} as a tensor source: a {@code .safetensors} file, a
     * {@code *.safetensors.index.json}, or a directory holding {@value #MODEL_FILE}, else an
     * index, else exactly one {@code .safetensors} file (such as {@code adapter_model.safetensors}).
     *
     * @throws SafetensorsFormatException if a file breaks a rule of the format
     * @throws Peft4jException            if nothing suitable is found or a file cannot be read
     */
    public static TensorSource open(Path path) {
        if (Files.isDirectory(path)) {
            return openDirectory(path);
        }
        if (path.getFileName() != null && path.getFileName().toString().endsWith(".json")) {
            return ShardedSafetensors.open(path);
        }
        return SafetensorsFile.open(path);
    }

    private static TensorSource openDirectory(Path dir) {
        Path model = dir.resolve(MODEL_FILE);
        if (Files.isRegularFile(model)) {
            return SafetensorsFile.open(model);
        }
        List<Path> indexes = ShardedSafetensors.list(dir, ShardedSafetensors.INDEX_SUFFIX);
        if (!indexes.isEmpty()) {
            return ShardedSafetensors.open(ShardedSafetensors.findIndex(dir));
        }
        List<Path> files = ShardedSafetensors.list(dir, ".safetensors");
        if (files.size() == 1) {
            return SafetensorsFile.open(files.getFirst());
        }
        throw new Peft4jException(dir + ": " + (files.isEmpty()
                ? "no .safetensors file and no " + ShardedSafetensors.INDEX_SUFFIX + " index"
                : "several .safetensors files and no index: " + ShardedSafetensors.names(files)));
    }
}
