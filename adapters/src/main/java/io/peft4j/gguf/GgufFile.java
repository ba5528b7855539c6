package io.peft4j.gguf;

import io.peft4j.core.Peft4jException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One GGUF file, memory-mapped read-only. The header (metadata and tensor entries) is parsed and
 * fully validated when the file is opened ({@link GgufFormatException} otherwise); tensor data
 * are zero-copy slices of the mapping, which {@link #close()} releases. Safe to read from several
 * threads.
 */
public final class GgufFile implements AutoCloseable {

    private final Path path;
    private final Arena arena;
    private final MemorySegment content;
    private final GgufValidator.Header header;

    private GgufFile(Path path, Arena arena, MemorySegment content, GgufValidator.Header header) {
        this.path = path;
        this.arena = arena;
        this.content = content;
        this.header = header;
    }

    /**
     * Maps and validates {@code file}.
     *
     * @throws GgufFormatException if the file breaks a rule of the format
     * @throws Peft4jException if the file cannot be read
     */
    public static GgufFile open(Path file) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment content;
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                content = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            }
            return new GgufFile(file, arena, content.asReadOnly(), GgufValidator.validate(file, content));
        } catch (NoSuchFileException e) {
            arena.close();
            throw new Peft4jException(file + ": no such file");
        } catch (IOException e) {
            arena.close();
            throw new Peft4jException(file + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Whether {@code file} starts with the GGUF magic (it may still be malformed). */
    public static boolean looksLikeGguf(Path file) {
        try (var in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F';
        } catch (IOException e) {
            return false;
        }
    }

    /** The format version (2 or 3). */
    public int version() {
        return header.version();
    }

    /** Every metadata key-value pair, in file order. */
    public Map<String, GgufValue> metadata() {
        return header.metadata();
    }

    /** The string value of {@code key}, if the file has that key as a string. */
    public Optional<String> string(String key) {
        GgufValue value = header.metadata().get(key);
        return value == null ? Optional.empty() : value.asString();
    }

    /** Every tensor entry, in file order (which is data order). */
    public List<GgufTensorInfo> tensors() {
        return header.tensors();
    }

    /** The entry of the tensor called {@code name}, if any. */
    public Optional<GgufTensorInfo> find(String name) {
        return Optional.ofNullable(header.byName().get(name));
    }

    /** The raw bytes of a tensor, a zero-copy view of the mapped file. */
    public MemorySegment data(GgufTensorInfo info) {
        return content.asSlice(header.dataStart() + info.offset(), info.byteSize());
    }

    /**
     * The values of a F32, F16, BF16 or Q8_0 tensor as float32, in row-major order of
     * {@link GgufTensorInfo#shape()}.
     *
     * @throws Peft4jException if the tensor has another type or more than 2^31 - 1 elements
     */
    public float[] floats(GgufTensorInfo info) {
        if (info.numel() > Integer.MAX_VALUE - 8) {
            throw new Peft4jException(path + ": tensor " + info.name() + " has " + info.numel() + " elements, too many for one Java array");
        }
        return GgmlCodec.decode(info.type(), data(info), (int) info.numel(), info.name());
    }

    /** The tensor data alignment. */
    public int alignment() {
        return header.alignment();
    }

    /** The file offset of the data section. */
    public long dataStart() {
        return header.dataStart();
    }

    /** The file. */
    public Path path() {
        return path;
    }

    /** Unmaps the file; data views obtained earlier become unusable. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", " + header.tensors().size() + " tensors]";
    }
}
