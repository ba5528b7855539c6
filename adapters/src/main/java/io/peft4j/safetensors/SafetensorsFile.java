package io.peft4j.safetensors;

import io.peft4j.core.Peft4jException;
import io.peft4j.core.RegularFiles;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One safetensors file, memory-mapped read-only. The header is parsed and fully validated when
 * the file is opened; tensors are zero-copy slices of the mapping, which {@link #close()}
 * releases. Files of any size (past 2 GB) work. Safe to read from several threads.
 */
public final class SafetensorsFile implements TensorSource {

    private final Path path;
    private final Arena arena;
    private final MemorySegment content;
    private final SafetensorsHeader header;

    private SafetensorsFile(Path path, Arena arena, MemorySegment content, SafetensorsHeader header) {
        this.path = path;
        this.arena = arena;
        this.content = content;
        this.header = header;
    }

    /**
     * Maps and validates {@code file}.
     *
     * @throws SafetensorsFormatException if the file breaks a rule of the format
     * @throws Peft4jException            if the file cannot be read or is not a regular file
     */
    public static SafetensorsFile open(Path file) {
        RegularFiles.require(file);
        Arena arena = Arena.ofShared();
        try {
            MemorySegment content;
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                content = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            }
            SafetensorsHeader header = HeaderValidator.validate(file, content);
            return new SafetensorsFile(file, arena, content.asReadOnly(), header);
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

    @Override
    public List<TensorInfo> tensors() {
        return header.tensors();
    }

    @Override
    public Optional<TensorInfo> find(String name) {
        return header.find(name);
    }

    @Override
    public Tensor tensor(String name) {
        return tensor(info(name));
    }

    /** The tensor of an entry of this file. */
    Tensor tensor(TensorInfo info) {
        return new Tensor(info, content.asSlice(header.dataStart() + info.begin(), info.byteSize()));
    }

    @Override
    public Map<String, String> metadata() {
        return header.metadata();
    }

    @Override
    public Path path() {
        return path;
    }

    /** Offset of the data area in the file: 8 plus the header length. */
    public long dataStart() {
        return header.dataStart();
    }

    /** The size of the file in bytes. */
    public long fileSize() {
        return content.byteSize();
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + header.tensors().size() + " tensors]";
    }
}
