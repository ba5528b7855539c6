package io.peft4j.merge;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One merge worker's buffers, reused from block to block: a row of values, a row of delta, and an
 * off-heap staging area that a block is encoded into and written from. Confined to its thread.
 */
final class Scratch implements AutoCloseable {

    private float[] values = new float[0];
    private float[] delta = new float[0];
    private Arena arena = Arena.ofConfined();
    private MemorySegment staging = MemorySegment.NULL;

    /** A row buffer of at least {@code width} floats (the same array until a wider row comes). */
    float[] values(int width) {
        if (values.length < width) {
            values = new float[width];
        }
        return values;
    }

    /** A second row buffer of at least {@code width} floats. */
    float[] delta(int width) {
        if (delta.length < width) {
            delta = new float[width];
        }
        return delta;
    }

    /** The first {@code bytes} bytes of the staging area. */
    MemorySegment staging(long bytes) {
        if (staging.byteSize() < bytes) {
            arena.close();
            arena = Arena.ofConfined();
            staging = arena.allocate(bytes, 64);
        }
        return staging.asSlice(0, bytes);
    }

    @Override
    public void close() {
        arena.close();
    }
}
