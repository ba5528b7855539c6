package io.peft4j.safetensors;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor to be written: name, element type and shape, no data.
 *
 * @param name  the tensor's name
 * @param dtype its element type
 * @param shape its dimensions (empty for a scalar); copied, never shared
 */
public record TensorSpec(String name, DType dtype, long[] shape) {

    /**
     * Creates a spec, copying {@code shape}.
     *
     * @throws IllegalArgumentException on a negative dimension or a size that overflows 64 bits
     */
    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor " + name + " has negative dimension " + d);
            }
        }
        try {
            dtype.byteSize(TensorInfo.numel(shape));
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor " + name + " is too large: " + Arrays.toString(shape));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tensor " + name + " " + Arrays.toString(shape) + ": " + e.getMessage());
        }
    }

    /** The spec of an existing tensor entry (same name, dtype and shape). */
    public static TensorSpec of(TensorInfo info) {
        return new TensorSpec(info.name(), info.dtype(), info.shape());
    }

    /** A copy of the dimensions. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The number of elements. */
    public long numel() {
        return TensorInfo.numel(shape);
    }

    /** The number of bytes the data takes. */
    public long byteSize() {
        return dtype.byteSize(numel());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape));
    }

    @Override
    public String toString() {
        return name + " " + dtype.safetensorsName() + Arrays.toString(shape);
    }
}
