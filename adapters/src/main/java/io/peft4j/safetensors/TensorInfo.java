package io.peft4j.safetensors;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor entry of a safetensors header.
 *
 * @param name   the tensor's name
 * @param dtype  its element type
 * @param shape  its dimensions (empty for a scalar); copied, never shared
 * @param begin  offset of its first byte, relative to the start of the data area
 * @param end    offset one past its last byte, relative to the start of the data area
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    /** Creates an entry, copying {@code shape}. */
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
    }

    /** A copy of the dimensions. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** The size of dimension {@code i}. */
    public long dim(int i) {
        return shape[i];
    }

    /** The number of elements: the product of the dimensions (1 for a scalar). */
    public long numel() {
        return numel(shape);
    }

    /** The number of bytes the tensor occupies: {@code end - begin}. */
    public long byteSize() {
        return end - begin;
    }

    /** The product of {@code shape}, failing with ArithmeticException on overflow. */
    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t
                && name.equals(t.name)
                && dtype == t.dtype
                && Arrays.equals(shape, t.shape)
                && begin == t.begin
                && end == t.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return name + " " + dtype.safetensorsName() + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
    }
}
