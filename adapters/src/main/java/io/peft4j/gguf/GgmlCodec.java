package io.peft4j.gguf;

import io.peft4j.core.Peft4jException;
import io.peft4j.safetensors.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.Set;

/**
 * Converts float32 values to and from the ggml types a LoRA adapter uses: F32, F16, BF16 and
 * Q8_0. Encoding is bit-identical to llama.cpp's {@code gguf-py} ({@code gguf.quants}): F16 and
 * BF16 round to nearest even (BF16 quiets a NaN as {@code gguf-py} does), Q8_0 computes each
 * block's scale {@code d = max|x| / 127}, its inverse and {@code round(x * (1/d))} (half away from
 * zero) in float32, then stores {@code d} as F16, exactly as {@code Q8_0.quantize_blocks}.
 */
final class GgmlCodec {

    /** The types this class encodes and decodes. */
    static final Set<GgmlType> FLOAT_TYPES = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0);

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int Q8_BLOCK = 32;
    private static final int Q8_BYTES = 34;

    private GgmlCodec() {
    }

    /** The bytes {@code values} take as {@code type} (whose row length must suit the type). */
    static byte[] encode(GgmlType type, float[] values) {
        MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(GgufTensorInfo.byteSize(new long[] {values.length}, type))]);
        switch (type) {
            case F32 -> MemorySegment.copy(values, 0, out, F32, 0, values.length);
            case F16 -> {
                for (int i = 0; i < values.length; i++) {
                    out.set(U16, 2L * i, Float.floatToFloat16(values[i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < values.length; i++) {
                    out.set(U16, 2L * i, bf16(values[i]));
                }
            }
            case Q8_0 -> encodeQ8(values, out);
            default -> throw new IllegalArgumentException("peft4j does not encode " + type);
        }
        return out.toArray(ValueLayout.JAVA_BYTE);
    }

    /** {@code gguf-py}'s {@code BF16.quantize_blocks}: round to nearest even; a NaN keeps its sign and top bits and is made quiet. */
    private static short bf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            return (short) (((bits & 0xFFFF_0000) | (64 << 16)) >>> 16);
        }
        return Tensor.floatToBf16Bits(value);
    }

    private static void encodeQ8(float[] values, MemorySegment out) {
        for (int block = 0; block * Q8_BLOCK < values.length; block++) {
            int from = block * Q8_BLOCK;
            float max = 0f;
            for (int i = 0; i < Q8_BLOCK; i++) {
                max = Math.max(max, Math.abs(values[from + i]));
            }
            float d = max / 127f;
            float inverse = d == 0f ? 0f : 1f / d;
            long at = (long) block * Q8_BYTES;
            out.set(U16, at, Float.floatToFloat16(d));
            for (int i = 0; i < Q8_BLOCK; i++) {
                out.set(ValueLayout.JAVA_BYTE, at + 2 + i, (byte) roundHalfAway(values[from + i] * inverse));
            }
        }
    }

    /** {@code gguf-py}'s {@code np_roundf}: {@code sign(x) * (floor|x| + floor(2 * (|x| - floor|x|)))}, in float32. */
    private static float roundHalfAway(float x) {
        float a = Math.abs(x);
        float floored = (float) Math.floor(a);
        float b = floored + (float) Math.floor(2f * (a - floored));
        return Math.signum(x) * b;
    }

    /**
     * Decodes {@code count} elements of {@code type} from {@code data} to float32, exactly as
     * {@code gguf.quants.dequantize} (Q8_0: {@code float(q) * float(d)}).
     *
     * @throws Peft4jException naming the tensor if the type is not one of {@link #FLOAT_TYPES}
     */
    static float[] decode(GgmlType type, MemorySegment data, int count, String tensor) {
        float[] out = new float[count];
        switch (type) {
            case F32 -> MemorySegment.copy(data, F32, 0, out, 0, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = Float.float16ToFloat(data.get(U16, 2L * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = Float.intBitsToFloat(data.get(U16, 2L * i) << 16);
                }
            }
            case Q8_0 -> {
                for (int i = 0; i < count; i++) {
                    long at = (long) (i / Q8_BLOCK) * Q8_BYTES;
                    float d = Float.float16ToFloat(data.get(U16, at));
                    out[i] = data.get(ValueLayout.JAVA_BYTE, at + 2 + i % Q8_BLOCK) * d;
                }
            }
            default -> throw new Peft4jException("tensor " + tensor + " has type " + type
                    + "; peft4j reads only " + FLOAT_TYPES + " tensor values");
        }
        return out;
    }
}
