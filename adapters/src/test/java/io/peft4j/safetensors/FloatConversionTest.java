package io.peft4j.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
