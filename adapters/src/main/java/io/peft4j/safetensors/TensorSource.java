package io.peft4j.safetensors;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A named set of tensors backed by one or more safetensors files. Tensors stay valid until the
 * source is closed.
 */
public interface TensorSource extends AutoCloseable {

    /** Every tensor's entry, in data order (by file, then by offset). */
    List<TensorInfo> tensors();

    /** The entry of the tensor called {@code name}, if any. */
    Optional<TensorInfo> find(String name);

    /**
     * The entry of the tensor called {@code name}.
     *
     * @throws TensorNotFoundException naming the file if there is no such tensor
     */
    default TensorInfo info(String name) {
        return find(name).orElseThrow(() -> new TensorNotFoundException(path(), name));
    }

    /** Whether a tensor called {@code name} exists. */
    default boolean contains(String name) {
        return find(name).isPresent();
    }

    /**
     * The tensor called {@code name}, a zero-copy view of the mapped file.
     *
     * @throws TensorNotFoundException naming the file if there is no such tensor
     */
    Tensor tensor(String name);

    /** The {@code __metadata__} string map of the header (empty if absent). */
    Map<String, String> metadata();

    /** The file (or index file) this source was opened from. */
    Path path();

    /** Releases the mapping; tensors obtained earlier become unusable. */
    @Override
    void close();
}
