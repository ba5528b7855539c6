package io.peft4j.diffusion;

import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorInfo;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

/** Small tensor helpers of this package: scalars (kohya's {@code .alpha}), in-memory tensors, pair checks. */
final class Tensors {

    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Tensors() {}

    /** The value of a one-element tensor as Python's {@code .item()} gives it (exactly, as a double). */
    static double scalar(Path file, Tensor t) {
        if (t.numel() != 1) {
            throw new DiffusionFormatException(file, t.name() + " has shape " + Arrays.toString(t.shape())
                    + "; an alpha is a single number");
        }
        MemorySegment data = t.data();
        return switch (t.dtype()) {
            case F64 -> data.get(DOUBLE_LE, 0);
            case I64 -> data.get(LONG_LE, 0);
            case I32 -> data.get(INT_LE, 0);
            case F32, F16, BF16 -> t.toFloatArray()[0];
            default -> throw new DiffusionFormatException(file, t.name() + " has dtype " + t.dtype().safetensorsName()
                    + "; an alpha must be a float or integer number");
        };
    }

    /** A float32 tensor in memory. */
    static Tensor ofFloats(String name, long[] shape, float[] values) {
        MemorySegment data = MemorySegment.ofArray(new byte[values.length * 4]);
        MemorySegment.copy(values, 0, data, FLOAT_LE, 0, values.length);
        return new Tensor(new TensorInfo(name, DType.F32, shape, 0, data.byteSize()), data);
    }

    /** A scalar alpha tensor: float32 when that holds the value exactly, else float64. */
    static Tensor alpha(String name, double value) {
        if ((double) (float) value == value) {
            return ofFloats(name, new long[0], new float[] {(float) value});
        }
        MemorySegment data = MemorySegment.ofArray(new byte[8]);
        data.set(DOUBLE_LE, 0, value);
        return new Tensor(new TensorInfo(name, DType.F64, new long[0], 0, 8), data);
    }

    /**
     * Checks that {@code down} and {@code up} form a LoRA pair: 2-dimensional {@code [r, in]} and
     * {@code [out, r]}, or 4-dimensional {@code [r, in, kh, kw]} and {@code [out, r, 1, 1]}, in a
     * floating-point dtype.
     */
    static void checkPair(Path file, String key, Tensor down, Tensor up) {
        long[] d = down.shape();
        long[] u = up.shape();
        if (!down.dtype().isFloatingPoint() || !up.dtype().isFloatingPoint()) {
            throw new DiffusionFormatException(file, key + " has dtype " + down.dtype().safetensorsName() + "/"
                    + up.dtype().safetensorsName() + "; LoRA weights must be floating point");
        }
        boolean linear = d.length == 2 && u.length == 2;
        boolean conv = d.length == 4 && u.length == 4 && u[2] == 1 && u[3] == 1;
        if (!(linear || conv) || d[0] != u[1] || d[0] <= 0) {
            throw new DiffusionFormatException(file, key + ": down " + Arrays.toString(d) + " and up " + Arrays.toString(u)
                    + " are not a LoRA pair ([r, in] and [out, r], or [r, in, kh, kw] and [out, r, 1, 1])");
        }
    }
}
