package io.peft4j.safetensors;

import io.peft4j.core.Peft4jException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * One tensor: its entry and its bytes, a zero-copy little-endian view of the mapped file (valid
 * until the {@link TensorSource} is closed). Floating-point tensors convert to float32 straight
 * from that view.
 */
public final class Tensor {

    /** Elements converted per step when the destination is not a {@code float[]}. */
    private static final int CHUNK = 4096;

    private final TensorInfo info;
    private final MemorySegment data;

    /**
     * Wraps {@code data} as the bytes of {@code info}.
     *
     * @throws IllegalArgumentException if the segment's size is not {@code info.byteSize()}
     */
    public Tensor(TensorInfo info, MemorySegment data) {
        this.info = Objects.requireNonNull(info, "info");
        this.data = Objects.requireNonNull(data, "data");
        if (data.byteSize() != info.byteSize()) {
            throw new IllegalArgumentException("tensor " + info.name() + " needs " + info.byteSize()
                    + " bytes, got " + data.byteSize());
        }
    }

    /** The tensor's name. */
    public String name() {
        return info.name();
    }

    /** The element type. */
    public DType dtype() {
        return info.dtype();
    }

    /** A copy of the dimensions. */
    public long[] shape() {
        return info.shape();
    }

    /** The number of elements. */
    public long numel() {
        return info.numel();
    }

    /** The header entry. */
    public TensorInfo info() {
        return info;
    }

    /** The raw little-endian bytes, a read-only zero-copy view of the file. */
    public MemorySegment data() {
        return data;
    }

    /**
     * The elements as a new float32 array.
     *
     * @throws Peft4jException if the dtype is not floating point or the tensor has more elements
     *                         than a Java array can hold
     */
    public float[] toFloatArray() {
        requireFloatingPoint();
        long n = numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new Peft4jException("tensor " + name() + " has " + n
                    + " elements, too many for one float[]; use toFloats(MemorySegment)");
        }
        float[] out = new float[(int) n];
        FloatDecoder.decode(dtype(), data, 0, out, 0, (int) n);
        return out;
    }

    /**
     * Converts {@code count} elements starting at element {@code first} to float32 into
     * {@code dst[offset ..]}: a range of a tensor of any size, without a copy of the rest.
     *
     * @throws Peft4jException           if the dtype is not floating point
     * @throws IndexOutOfBoundsException if the range lies outside the tensor or {@code dst}
     */
    public void toFloats(long first, float[] dst, int offset, int count) {
        requireFloatingPoint();
        java.util.Objects.checkFromIndexSize(first, count, numel());
        java.util.Objects.checkFromIndexSize(offset, count, dst.length);
        FloatDecoder.decode(dtype(), data, first, dst, offset, count);
    }

    /**
     * Writes the elements as little-endian float32 into {@code dst}, which must hold at least
     * {@code 4 * numel()} bytes.
     */
    public void toFloats(MemorySegment dst) {
        requireFloatingPoint();
        long n = numel();
        if (dst.byteSize() < 4 * n) {
            throw new IllegalArgumentException("destination holds " + dst.byteSize() + " bytes, tensor "
                    + name() + " needs " + 4 * n);
        }
        if (dtype() == DType.F32) {
            MemorySegment.copy(data, 0, dst, 0, 4 * n);
            return;
        }
        float[] chunk = new float[(int) Math.min(CHUNK, n)];
        for (long first = 0; first < n; first += CHUNK) {
            int count = (int) Math.min(CHUNK, n - first);
            FloatDecoder.decode(dtype(), data, first, chunk, 0, count);
            MemorySegment.copy(chunk, 0, dst, FloatDecoder.FLOAT_LE, 4 * first, count);
        }
    }

    /**
     * Puts the elements as float32 into {@code dst} at its position, advancing the position by
     * {@code numel()}.
     */
    public void toFloats(FloatBuffer dst) {
        requireFloatingPoint();
        long n = numel();
        if (dst.remaining() < n) {
            throw new IllegalArgumentException("destination has " + dst.remaining() + " floats left, tensor "
                    + name() + " needs " + n);
        }
        int count = (int) n;
        if (dst.hasArray()) {
            FloatDecoder.decode(dtype(), data, 0, dst.array(), dst.arrayOffset() + dst.position(), count);
            dst.position(dst.position() + count);
        } else if (dst.isDirect() && !dst.isReadOnly()) {
            MemorySegment target = MemorySegment.ofBuffer(dst);
            ValueLayout.OfFloat layout = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(dst.order());
            float[] chunk = new float[Math.min(CHUNK, count)];
            for (int first = 0; first < count; first += CHUNK) {
                int c = Math.min(CHUNK, count - first);
                FloatDecoder.decode(dtype(), data, first, chunk, 0, c);
                MemorySegment.copy(chunk, 0, target, layout, 4L * first, c);
            }
            dst.position(dst.position() + count);
        } else {
            float[] chunk = new float[Math.min(CHUNK, count)];
            for (int first = 0; first < count; first += CHUNK) {
                int c = Math.min(CHUNK, count - first);
                FloatDecoder.decode(dtype(), data, first, chunk, 0, c);
                dst.put(chunk, 0, c);
            }
        }
    }

    private void requireFloatingPoint() {
        if (!dtype().isFloatingPoint()) {
            throw new Peft4jException("tensor " + name() + " has dtype " + dtype().safetensorsName()
                    + ", which has no float32 conversion (its raw bytes are in data())");
        }
    }

    /**
     * The bfloat16 bits nearest to {@code value}, rounding to nearest even exactly as torch does
     * ({@code c10::BFloat16}); every NaN becomes {@code 0x7FC0}.
     */
    public static short floatToBf16Bits(float value) {
        if (Float.isNaN(value)) {
            return (short) 0x7FC0;
        }
        int bits = Float.floatToRawIntBits(value);
        int roundingBias = ((bits >>> 16) & 1) + 0x7FFF;
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** The float32 value of bfloat16 {@code bits} (exact). */
    public static float bf16BitsToFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /** The IEEE binary16 bits nearest to {@code value} (round to nearest even, as torch does). */
    public static short floatToF16Bits(float value) {
        return Float.floatToFloat16(value);
    }

    /** The float32 value of IEEE binary16 {@code bits} (exact). */
    public static float f16BitsToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** The float32 value of an OCP FP8 E4M3FN byte (exact; 0x7F and 0xFF are NaN). */
    public static float f8E4M3ToFloat(byte bits) {
        return Float8.E4M3_TO_FLOAT[bits & 0xFF];
    }

    /** The float32 value of an OCP FP8 E5M2 byte (exact). */
    public static float f8E5M2ToFloat(byte bits) {
        return Float8.E5M2_TO_FLOAT[bits & 0xFF];
    }

    @Override
    public String toString() {
        return "Tensor[" + info + "]";
    }
}
