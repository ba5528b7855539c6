package io.peft4j.extract;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Factors of finished modules parked on disk until the adapter file is written, so memory holds
 * one module's factors at a time whatever the model's size (the ranks, and so the file's layout,
 * are known only when every module is done). Appends are thread-safe.
 */
final class FactorSpill implements AutoCloseable {

    private final Path file;
    private final FileChannel channel;
    private long size;

    FactorSpill(Path directory) {
        try {
            this.file = Files.createTempFile(directory, ".factors", ".tmp");
            this.channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new ExtractException(directory + ": cannot create a temporary file: " + e.getMessage(), e);
        }
    }

    /** Appends {@code values}; returns the offset to read them back from. */
    synchronized long append(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        long offset = size;
        try {
            while (bytes.hasRemaining()) {
                channel.write(bytes, offset + bytes.position());
            }
        } catch (IOException e) {
            throw new ExtractException(file + ": cannot write: " + e.getMessage(), e);
        }
        size += values.length * 4L;
        return offset;
    }

    /** Reads back {@code count} values written at {@code offset}. */
    synchronized float[] read(long offset, int count) {
        ByteBuffer bytes = ByteBuffer.allocate(count * 4).order(ByteOrder.LITTLE_ENDIAN);
        try {
            while (bytes.hasRemaining()) {
                if (channel.read(bytes, offset + bytes.position()) < 0) {
                    throw new ExtractException(file + ": truncated");
                }
            }
        } catch (IOException e) {
            throw new ExtractException(file + ": cannot read: " + e.getMessage(), e);
        }
        float[] values = new float[count];
        bytes.flip();
        bytes.asFloatBuffer().get(values);
        return values;
    }

    /** Deletes the file. */
    @Override
    public void close() {
        try {
            channel.close();
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // best effort: the file is hidden and inside the temporary output directory
        }
    }
}
