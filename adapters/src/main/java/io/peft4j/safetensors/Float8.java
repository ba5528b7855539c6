package io.peft4j.safetensors;

/**
 * The OCP 8-bit floating-point formats (OCP FP8 spec v1.0): E4M3FN (bias 7, no infinities, NaN
 * at S.1111.111, largest finite 448) and E5M2 (bias 15, IEEE-like: infinities and NaNs at exponent
 * 31, largest finite 57344). Decoding is by 256-entry tables; encoding rounds to nearest even.
 */
final class Float8 {

    static final float[] E4M3_TO_FLOAT = table(4, 3);
    static final float[] E5M2_TO_FLOAT = table(5, 2);

    private Float8() {
    }

    private static float[] table(int exponentBits, int mantissaBits) {
        float[] table = new float[256];
        for (int bits = 0; bits < 256; bits++) {
            table[bits] = decode(bits, exponentBits, mantissaBits);
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
}
