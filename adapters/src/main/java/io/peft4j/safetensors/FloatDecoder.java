package io.peft4j.safetensors;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Converts little-endian floating-point tensor bytes (F64, F32, F16, BF16 and the 8-bit floats) to
 * float32, straight from a memory segment into a {@code float[]}. bf16 runs on SIMD registers when
 * the JVM has the Vector API ({@link VectorFloats}).
 */
final class FloatDecoder {

    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble DOUBLE_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private FloatDecoder() {
    }

    /**
     * Decodes {@code count} elements of type {@code type} starting at element {@code first} of
     * {@code src} into {@code dst[dstOffset ...]}.
     */
    static void decode(DType type, MemorySegment src, long first, float[] dst, int dstOffset, int count) {
        long byteOffset = first * type.byteSize();
        switch (type) {
            case F32 -> MemorySegment.copy(src, FLOAT_LE, byteOffset, dst, dstOffset, count);
            case BF16 -> decodeBf16(src, byteOffset, dst, dstOffset, count);
            case F16 -> decodeF16(src, byteOffset, dst, dstOffset, count);
            case F64 -> decodeF64(src, byteOffset, dst, dstOffset, count);
            case F8_E4M3 -> decodeTable(Float8.E4M3_TO_FLOAT, src, byteOffset, dst, dstOffset, count);
            case F8_E5M2 -> decodeTable(Float8.E5M2_TO_FLOAT, src, byteOffset, dst, dstOffset, count);
            case F8_E4M3FNUZ -> decodeTable(Float8.E4M3FNUZ_TO_FLOAT, src, byteOffset, dst, dstOffset, count);
            case F8_E5M2FNUZ -> decodeTable(Float8.E5M2FNUZ_TO_FLOAT, src, byteOffset, dst, dstOffset, count);
            case F8_E8M0 -> decodeTable(Float8.E8M0_TO_FLOAT, src, byteOffset, dst, dstOffset, count);
            default -> throw new IllegalArgumentException(type + " is not a floating-point type");
        }
    }

    /** Elements staged per bulk copy: a loop over a plain array is one the JIT vectorizes. */
    private static final int CHUNK = 8192;

    private static final boolean VECTOR = VectorApi.isAvailable();

    private static final ThreadLocal<short[]> STAGING = ThreadLocal.withInitial(() -> new short[CHUNK]);

    private static void decodeBf16(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        short[] bits = STAGING.get();
        for (int done = 0; done < count; done += CHUNK) {
            int n = Math.min(CHUNK, count - done);
            MemorySegment.copy(src, SHORT_LE, offset + 2L * done, bits, 0, n);
            int base = dstOffset + done;
            int vectorDone = VECTOR ? VectorFloats.decodeBf16(bits, dst, base, n) : 0;
            bf16Scalar(bits, vectorDone, dst, base, n);
        }
    }

    /** The scalar bf16 decode of {@code bits[from .. n)} into {@code dst[offset + from ..]}. */
    static void bf16Scalar(short[] bits, int from, float[] dst, int offset, int n) {
        for (int i = from; i < n; i++) {
            dst[offset + i] = Float.intBitsToFloat(bits[i] << 16);
        }
    }

    private static void decodeF16(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        short[] bits = STAGING.get();
        for (int done = 0; done < count; done += CHUNK) {
            int n = Math.min(CHUNK, count - done);
            MemorySegment.copy(src, SHORT_LE, offset + 2L * done, bits, 0, n);
            int base = dstOffset + done;
            for (int i = 0; i < n; i++) {
                dst[base + i] = Float.float16ToFloat(bits[i]);
            }
        }
    }

    private static void decodeF64(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        for (int i = 0; i < count; i++) {
            dst[dstOffset + i] = (float) src.get(DOUBLE_LE, offset + 8L * i);
        }
    }

    private static void decodeTable(float[] table, MemorySegment src, long offset, float[] dst, int dstOffset,
                                    int count) {
        for (int i = 0; i < count; i++) {
            dst[dstOffset + i] = table[src.get(ValueLayout.JAVA_BYTE, offset + i) & 0xFF];
        }
    }
}
