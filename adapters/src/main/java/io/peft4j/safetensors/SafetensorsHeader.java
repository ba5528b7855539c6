package io.peft4j.safetensors;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A safetensors header that passed every rule of the format: its tensors in data order and its
 * {@code __metadata__}. {@link SafetensorsFile} parses one from a mapped file; {@link #length} and
 * {@link #parse} do the same from bytes fetched elsewhere (two HTTP range requests, for instance),
 * with the same validator and the same limits.
 */
public final class SafetensorsHeader {

    private final long dataStart;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;
    private final Map<String, String> metadata;

    SafetensorsHeader(long dataStart, List<TensorInfo> tensors, Map<String, TensorInfo> byName,
                      Map<String, String> metadata) {
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.byName = byName;
        this.metadata = metadata;
    }

    /**
     * The header length declared by {@code prefix}, the first 8 bytes of a safetensors file of
     * {@code fileSize} bytes (fewer when the file is shorter), after checking it against the limits.
     *
     * @param source names the file in error messages (a path, or e.g. {@code org/model/model.safetensors})
     * @throws SafetensorsFormatException if the file is too small or the length is out of bounds
     */
    public static long length(Path source, byte[] prefix, long fileSize) {
        return HeaderValidator.headerLength(source, prefix, fileSize);
    }

    /**
     * Parses and validates {@code header}, the header bytes that follow the 8-byte length in a
     * safetensors file of {@code fileSize} bytes (the layout is checked against that size).
     *
     * @param source names the file in error messages
     * @throws SafetensorsFormatException if the header breaks a rule of the format
     */
    public static SafetensorsHeader parse(Path source, byte[] header, long fileSize) {
        return HeaderValidator.validate(source, header, fileSize);
    }

    /** Offset of the data area in the file: 8 plus the header length. */
    public long dataStart() {
        return dataStart;
    }

    /** Every tensor entry, in data order. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /** The entry of tensor {@code name}, if the header has one. */
    public Optional<TensorInfo> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The {@code __metadata__} map, empty if absent. */
    public Map<String, String> metadata() {
        return metadata;
    }
}
