package io.peft4j.safetensors;

/**
 * The 8-bit floating-point formats of safetensors: the OCP FP8 formats (OCP FP8 spec v1.0) E4M3FN
 * (bias 7, no infinities, NaN at S.1111.111, largest finite 448) and E5M2 (bias 15, IEEE-like:
 * infinities and NaNs at exponent 31, largest finite 57344); the FNUZ variants E4M3FNUZ and
 * E5M2FNUZ (bias 8 and 16, every exponent finite, no infinities, no negative zero: 0x80 is the only
 * NaN); and the OCP MX scale E8M0 (an unsigned exponent, {@code 2^(bits - 127)}, NaN at 0xFF).
 * Decoding is by 256-entry tables, as torch 2.13 converts each to float32; encoding (E4M3FN and
 * E5M2) rounds to nearest even.
 */
final class Float8 {

    static final float[] E4M3_TO_FLOAT = table(4, 3);
    static final float[] E5M2_TO_FLOAT = table(5, 2);
    static final float[] E4M3FNUZ_TO_FLOAT = fnuzTable(4, 3);
    static final float[] E5M2FNUZ_TO_FLOAT = fnuzTable(5, 2);
    static final float[] E8M0_TO_FLOAT = e8m0Table();

    private Float8() {
    }

    private static float[] table(int exponentBits, int mantissaBits) {
        float[] table = new float[256];
        for (int bits = 0; bits < 256; bits++) {
            table[bits] = decode(bits, exponentBits, mantissaBits);
        }
        return table;
    }

    /** FNUZ: bias {@code 2^(exponentBits-1)}, 0x80 the only NaN, no infinities, every exponent finite. */
    private static float[] fnuzTable(int exponentBits, int mantissaBits) {
        float[] table = new float[256];
        int bias = 1 << (exponentBits - 1);
        for (int bits = 0; bits < 256; bits++) {
            int exponent = (bits >> mantissaBits) & ((1 << exponentBits) - 1);
            float fraction = (float) (bits & ((1 << mantissaBits) - 1)) / (1 << mantissaBits);
            float magnitude = exponent == 0 ? Math.scalb(fraction, 1 - bias) : Math.scalb(1f + fraction, exponent - bias);
            table[bits] = bits == 0x80 ? Float.NaN : (bits & 0x80) != 0 ? -magnitude : magnitude;
        }
        return table;
    }

    /** E8M0: {@code 2^(bits - 127)}, 0xFF NaN; 2^-127 is a float32 subnormal, exact. */
    private static float[] e8m0Table() {
        float[] table = new float[256];
        for (int bits = 0; bits < 256; bits++) {
            table[bits] = bits == 0xFF ? Float.NaN : Math.scalb(1f, bits - 127);
        }
        return table;
    }

    private static float decode(int bits, int exponentBits, int mantissaBits) {
        int bias = (1 << (exponentBits - 1)) - 1;
        int maxExponent = (1 << exponentBits) - 1;
        int mantissaMask = (1 << mantissaBits) - 1;
        float sign = (bits & 0x80) != 0 ? -1f : 1f;
        int exponent = (bits >> mantissaBits) & maxExponent;
        int mantissa = bits & mantissaMask;
        boolean e4m3 = exponentBits == 4;
        if (e4m3 && exponent == maxExponent && mantissa == mantissaMask) {
            return Float.NaN;
        }
        if (!e4m3 && exponent == maxExponent) {
            return mantissa == 0 ? sign * Float.POSITIVE_INFINITY : Float.NaN;
        }
        float fraction = (float) mantissa / (1 << mantissaBits);
        if (exponent == 0) {
            return sign * Math.scalb(fraction, 1 - bias);
        }
        return sign * Math.scalb(1f + fraction, exponent - bias);
    }

    /**
     * The E4M3FN byte nearest to {@code value}, as torch 2.13's {@code c10::Float8_e4m3fn} rounds:
     * to nearest even, saturating finite overflow and infinities to +-448; NaN becomes 0x7F with
     * the input's sign.
     */
    static byte floatToE4M3(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 24) & 0x80;
        bits &= 0x7FFFFFFF;
        int result;
        if (bits >= 0x43F00000) { // 480.0 and up, infinity, NaN
            result = bits > 0x7F800000 ? 0x7F : 0x7E;
        } else if (bits < (121 << 23)) { // below 2^-6, the smallest normal: subnormal grid of 2^-9
            result = roundToGrid(bits, 141);
        } else {
            int mantissaOdd = (bits >>> 20) & 1;
            bits += ((7 - 127) << 23) + 0x7FFFF + mantissaOdd;
            result = Math.min(bits >>> 20, 0x7E); // rounding up from (464, 480) would hit NaN: saturate
        }
        return (byte) (result | sign);
    }

    /**
     * The E5M2 byte nearest to {@code value}, as torch's {@code c10::Float8_e5m2} rounds: to
     * nearest even; magnitudes from 61440 up become infinity, NaN becomes 0x7F (with the input's sign).
     */
    static byte floatToE5M2(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 24) & 0x80;
        bits &= 0x7FFFFFFF;
        int result;
        if (bits >= 0x47800000) { // 65536.0 or inf/NaN
            result = bits > 0x7F800000 ? 0x7F : 0x7C;
        } else if (bits < (113 << 23)) { // below 2^-14, the smallest normal: subnormal grid of 2^-16
            result = roundToGrid(bits, 134);
        } else {
            int mantissaOdd = (bits >>> 21) & 1;
            bits += ((15 - 127) << 23) + 0xFFFFF + mantissaOdd;
            result = bits >>> 21;
        }
        return (byte) (result | sign);
    }

    /**
     * Rounds a small non-negative float (bits) to the subnormal grid by adding a power of two
     * whose float32 ulp is the grid step ({@code 2^(gridExponent - 127 - 23)}): the float adder
     * rounds to nearest even, and the low bits of the sum are the subnormal code.
     */
    private static int roundToGrid(int bits, int gridExponent) {
        float magic = Float.intBitsToFloat(gridExponent << 23);
        return Float.floatToRawIntBits(Float.intBitsToFloat(bits) + magic) - (gridExponent << 23);
    }
}
