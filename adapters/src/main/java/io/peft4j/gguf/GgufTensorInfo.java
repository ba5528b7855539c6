package io.peft4j.gguf;

import java.util.Arrays;

/**
 * One tensor entry of a GGUF file.
 *
 * @param name the tensor's name (under 64 bytes)
 * @param dimensions ggml's {@code ne}: the innermost (fastest-varying) dimension first
 * @param type the element type
 * @param offset where its data starts, relative to the data section (a multiple of the alignment)
 * @param byteSize the size of its data in bytes
 */
public record GgufTensorInfo(String name, long[] dimensions, GgmlType type, long offset, long byteSize) {

    /** Copies the dimensions. */
    public GgufTensorInfo {
        dimensions = dimensions.clone();
    }

    /** The dimensions, copied. */
    @Override
    public long[] dimensions() {
        return dimensions.clone();
    }

    /** The shape in row-major (PyTorch, safetensors) order: {@link #dimensions()} reversed. */
    public long[] shape() {
        long[] shape = new long[dimensions.length];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = dimensions[dimensions.length - 1 - i];
        }
        return shape;
    }

    /** The number of elements. */
    public long numel() {
        long n = 1;
        for (long d : dimensions) {
            n *= d;
        }
        return n;
    }

    /** The bytes {@code dimensions} take in {@code type} (the dimensions must be valid). */
    static long byteSize(long[] dimensions, GgmlType type) {
        long rows = 1;
        for (int i = 1; i < dimensions.length; i++) {
            rows = Math.multiplyExact(rows, dimensions[i]);
        }
        long row = dimensions.length == 0 ? type.typeSize() : Math.multiplyExact(dimensions[0] / type.blockSize(), (long) type.typeSize());
        return Math.multiplyExact(rows, row);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && Arrays.equals(dimensions, t.dimensions)
                && type == t.type && offset == t.offset && byteSize == t.byteSize;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(dimensions);
    }

    @Override
    public String toString() {
        return name + " " + type + Arrays.toString(shape());
    }
}
