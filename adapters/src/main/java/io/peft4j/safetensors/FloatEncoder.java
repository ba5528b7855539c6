package io.peft4j.safetensors;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Converts float32 values to the little-endian bytes of a floating-point dtype, or rounds them to
 * that dtype in place, to nearest even exactly as torch does. bf16 runs on SIMD registers when the
 * JVM has the Vector API ({@link VectorApi}, {@link VectorFloats}), with the same bits as the scalar loop.
 */
public final class FloatEncoder {

    private static final boolean VECTOR = VectorApi.isAvailable();
    /** Elements staged per bulk copy into the destination segment. */
    private static final int CHUNK = 8192;
    private static final ThreadLocal<short[]> STAGING = ThreadLocal.withInitial(() -> new short[CHUNK]);

    private FloatEncoder() {
    }

    /** Whether float32 values can be written as {@code type}: F64, F32, F16, BF16, F8_E4M3 and F8_E5M2. */
    static boolean supports(DType type) {
        return switch (type) {
            case F64, F32, F16, BF16, F8_E4M3, F8_E5M2 -> true;
            default -> false;
        };
    }

    /**
     * Encodes {@code src[from .. from+count)} as {@code type} into {@code dst} from byte 0.
     *
     * @throws IllegalArgumentException if float32 values cannot be written as {@code type} (see {@link #supports})
     */
    public static void encode(DType type, float[] src, int from, int count, MemorySegment dst) {
        switch (type) {
            case F32 -> MemorySegment.copy(src, from, dst, FloatDecoder.FLOAT_LE, 0, count);
            case BF16, F16 -> encode16(type == DType.BF16, src, from, count, dst);
            case F64 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(FloatDecoder.DOUBLE_LE, 8L * i, src[from + i]);
                }
            }
            case F8_E4M3 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(ValueLayout.JAVA_BYTE, i, Float8.floatToE4M3(src[from + i]));
                }
            }
            case F8_E5M2 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(ValueLayout.JAVA_BYTE, i, Float8.floatToE5M2(src[from + i]));
                }
            }
            default -> throw new IllegalArgumentException("float32 values cannot be written as " + type);
        }
    }

    private static void encode16(boolean bf16, float[] src, int from, int count, MemorySegment dst) {
        short[] bits = STAGING.get();
        for (int done = 0; done < count; done += CHUNK) {
            int n = Math.min(CHUNK, count - done);
            if (bf16) {
                int vectorDone = VECTOR ? VectorFloats.encodeBf16(src, from + done, bits, n) : 0;
                bf16Scalar(src, from + done, bits, vectorDone, n);
            } else {
                for (int i = 0; i < n; i++) {
                    bits[i] = Float.floatToFloat16(src[from + done + i]);
                }
            }
            MemorySegment.copy(bits, 0, dst, FloatDecoder.SHORT_LE, 2L * done, n);
        }
    }

    /**
     * Rounds {@code v[from .. from+count)} to {@code type} in place: each value becomes the float32
     * value of its nearest {@code type} value (unchanged for F32 and F64).
     *
     * @throws IllegalArgumentException if float32 values cannot be written as {@code type} (see {@link #supports})
     */
    public static void round(DType type, float[] v, int from, int count) {
        switch (type) {
            case F32, F64 -> { }
            case BF16 -> {
                int vectorDone = VECTOR ? VectorFloats.roundBf16(v, from, count) : 0;
                roundBf16Scalar(v, from + vectorDone, count - vectorDone);
            }
            case F16 -> {
                for (int i = from; i < from + count; i++) {
                    v[i] = Float.float16ToFloat(Float.floatToFloat16(v[i]));
                }
            }
            case F8_E4M3 -> {
                for (int i = from; i < from + count; i++) {
                    v[i] = Tensor.f8E4M3ToFloat(Float8.floatToE4M3(v[i]));
                }
            }
            case F8_E5M2 -> {
                for (int i = from; i < from + count; i++) {
                    v[i] = Tensor.f8E5M2ToFloat(Float8.floatToE5M2(v[i]));
                }
            }
            default -> throw new IllegalArgumentException("float32 values cannot be rounded to " + type);
        }
    }

    /** The index of the first NaN or infinite value in {@code v[from .. from+count)}, or -1 if there is none. */
    public static int firstNonFinite(float[] v, int from, int count) {
        for (int i = VECTOR ? VectorFloats.finitePrefix(v, from, count) : 0; i < count; i++) {
            if (!Float.isFinite(v[from + i])) {
                return from + i;
            }
        }
        return -1;
    }

    /** The scalar bf16 encode of {@code src[from + i]} into {@code bits[i]} for {@code start <= i < n}. */
    static void bf16Scalar(float[] src, int from, short[] bits, int start, int n) {
        for (int i = start; i < n; i++) {
            bits[i] = Tensor.floatToBf16Bits(src[from + i]);
        }
    }

    /** The scalar bf16 rounding of {@code v[from .. from+count)} in place. */
    static void roundBf16Scalar(float[] v, int from, int count) {
        for (int i = from; i < from + count; i++) {
            v[i] = Tensor.bf16BitsToFloat(Tensor.floatToBf16Bits(v[i]));
        }
    }
}
