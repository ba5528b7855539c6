package io.peft4j.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** float32 to bf16/f16/fp8 rounding and fp8 decoding, against the values torch computed in the fixture script. */
class FloatConversionTest {

    private final JsonNode rounding = Fixtures.expected().get("rounding");

    @Test
    void bf16RoundsLikeTorch() {
        check("bf16_bits", f -> Tensor.floatToBf16Bits(f) & 0xFFFF, 0xFFFF);
    }

    @Test
    void f16RoundsLikeTorch() {
        check("f16_bits", f -> Tensor.floatToF16Bits(f) & 0xFFFF, 0xFFFF);
    }

    @Test
    void f8E4M3RoundsLikeTorch() {
        check("f8_e4m3_bits", f -> Float8.floatToE4M3(f) & 0xFF, 0xFF);
    }

    @Test
    void f8E5M2RoundsLikeTorch() {
        check("f8_e5m2_bits", f -> Float8.floatToE5M2(f) & 0xFF, 0xFF);
    }

    @Test
    void f8DecodingFollowsTheOcpSpec() {
        assertEquals(448f, Tensor.f8E4M3ToFloat((byte) 0x7E));
        assertTrue(Float.isNaN(Tensor.f8E4M3ToFloat((byte) 0x7F)));
        assertTrue(Float.isNaN(Tensor.f8E4M3ToFloat((byte) 0xFF)));
        assertEquals(0x1p-9f, Tensor.f8E4M3ToFloat((byte) 0x01));
        assertEquals(-0f, Tensor.f8E4M3ToFloat((byte) 0x80));
        assertEquals(57344f, Tensor.f8E5M2ToFloat((byte) 0x7B));
        assertEquals(Float.POSITIVE_INFINITY, Tensor.f8E5M2ToFloat((byte) 0x7C));
        assertEquals(Float.NEGATIVE_INFINITY, Tensor.f8E5M2ToFloat((byte) 0xFC));
        assertTrue(Float.isNaN(Tensor.f8E5M2ToFloat((byte) 0x7D)));
        assertEquals(0x1p-16f, Tensor.f8E5M2ToFloat((byte) 0x01));
    }

    @Test
    void bf16AndF16DecodeExactly() {
        assertEquals(1.0f, Tensor.bf16BitsToFloat((short) 0x3F80));
        assertEquals(-2.0f, Tensor.bf16BitsToFloat((short) 0xC000));
        assertEquals(65504f, Tensor.f16BitsToFloat((short) 0x7BFF));
    }

    /**
     * The bulk bf16 paths the merge uses (SIMD in these tests, which run with the Vector API, and the
     * scalar loops a JVM without it runs) give torch's bits for every fixture value, and the scalar
     * rule's bits for NaNs of every payload and sign.
     */
    @Test
    void bf16BulkEncodeAndRoundMatchTorchOnBothPaths() {
        assertTrue(VectorApi.isAvailable(), "the tests run with --add-modules jdk.incubator.vector");
        JsonNode inputs = rounding.get("float32_bits");
        JsonNode expected = rounding.get("bf16_bits");
        int[] nans = {0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001, 0x7FFFFFFF, 0x7FA00000};
        int n = inputs.size() + nans.length;
        float[] values = new float[n];
        short[] want = new short[n];
        for (int i = 0; i < n; i++) {
            boolean nan = i >= inputs.size();
            values[i] = Float.intBitsToFloat(nan ? nans[i - inputs.size()] : inputs.get(i).asInt());
            want[i] = nan ? Tensor.floatToBf16Bits(values[i]) : (short) expected.get(i).asInt();
        }
        MemorySegment encoded = MemorySegment.ofArray(new short[n]);
        FloatEncoder.encode(DType.BF16, values, 0, n, encoded);
        short[] scalar = new short[n];
        FloatEncoder.bf16Scalar(values, 0, scalar, 0, n);
        float[] rounded = values.clone();
        FloatEncoder.round(DType.BF16, rounded, 0, n);
        float[] roundedScalar = values.clone();
        FloatEncoder.roundBf16Scalar(roundedScalar, 0, n);
        for (int i = 0; i < n; i++) {
            String what = "0x" + Integer.toHexString(Float.floatToRawIntBits(values[i]));
            assertEquals(want[i], encoded.getAtIndex(FloatDecoder.SHORT_LE, i), what);
            assertEquals(want[i], scalar[i], what);
            assertEquals(want[i] << 16, Float.floatToRawIntBits(rounded[i]), what);
            assertEquals(want[i] << 16, Float.floatToRawIntBits(roundedScalar[i]), what);
        }
    }

    /** The first NaN or infinity is found wherever it lies: in a whole vector or in the scalar tail. */
    @Test
    void firstNonFiniteFindsTheFirstNanOrInfinity() {
        float[] v = new float[101];
        java.util.Arrays.fill(v, 1.5f);
        assertEquals(-1, FloatEncoder.firstNonFinite(v, 0, v.length));
        v[99] = Float.NaN;
        assertEquals(99, FloatEncoder.firstNonFinite(v, 0, v.length));
        v[37] = Float.NEGATIVE_INFINITY;
        assertEquals(37, FloatEncoder.firstNonFinite(v, 0, v.length));
        assertEquals(99, FloatEncoder.firstNonFinite(v, 40, 61));
        assertEquals(-1, FloatEncoder.firstNonFinite(v, 0, 37));
    }

    /** Every bf16 bit pattern decodes to the float32 with those 16 high bits, on both paths. */
    @Test
    void bf16BulkDecodeIsExactOnBothPaths() {
        short[] all = new short[1 << 16];
        for (int i = 0; i < all.length; i++) {
            all[i] = (short) i;
        }
        Tensor tensor = new Tensor(new TensorInfo("all", DType.BF16, new long[] {all.length}, 0, 2L * all.length),
                MemorySegment.ofArray(all));
        float[] vector = new float[all.length];
        tensor.toFloats(0, vector, 0, all.length);
        float[] scalar = new float[all.length];
        FloatDecoder.bf16Scalar(all, 0, scalar, 0, all.length);
        for (int i = 0; i < all.length; i++) {
            assertEquals(i << 16, Float.floatToRawIntBits(vector[i]));
            assertEquals(i << 16, Float.floatToRawIntBits(scalar[i]));
        }
    }

    /** A float32 to narrow-format conversion, returning the bits as an unsigned int. */
    private interface Rounding {
        int bits(float value);
    }

    private void check(String field, Rounding rounding, int mask) {
        JsonNode inputs = this.rounding.get("float32_bits");
        JsonNode expected = this.rounding.get(field);
        assertEquals(inputs.size(), expected.size());
        int checked = 0;
        for (int i = 0; i < inputs.size(); i++) {
            float value = Float.intBitsToFloat(inputs.get(i).asInt());
            int want = expected.get(i).asInt() & mask;
            assertEquals(want, rounding.bits(value), () -> field + " of " + value + " (0x"
                    + Integer.toHexString(Float.floatToRawIntBits(value)) + ")");
            checked++;
        }
        assertTrue(checked > 900, "too few vectors: " + checked);
    }
}
