package io.peft4j.safetensors;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Converts float32 values to the little-endian bytes of a floating-point dtype, rounding to
 * nearest even exactly as torch does.
 */
final class FloatEncoder {

    private FloatEncoder() {
    }

    /** Whether float32 values can be written as {@code type}: F64, F32, F16, BF16, F8_E4M3 and F8_E5M2. */
    static boolean supports(DType type) {
        return switch (type) {
            case F64, F32, F16, BF16, F8_E4M3, F8_E5M2 -> true;
            default -> false;
        };
    }

    /** Encodes {@code src[from .. from+count)} as {@code type} into {@code dst} from byte 0. */
    static void encode(DType type, float[] src, int from, int count, MemorySegment dst) {
        switch (type) {
            case F32 -> MemorySegment.copy(src, from, dst, FloatDecoder.FLOAT_LE, 0, count);
            case F64 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(FloatDecoder.DOUBLE_LE, 8L * i, src[from + i]);
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(FloatDecoder.SHORT_LE, 2L * i, Tensor.floatToBf16Bits(src[from + i]));
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(FloatDecoder.SHORT_LE, 2L * i, Float.floatToFloat16(src[from + i]));
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
}
