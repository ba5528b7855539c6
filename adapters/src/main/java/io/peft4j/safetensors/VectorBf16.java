package io.peft4j.safetensors;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * bfloat16 conversions on SIMD registers, the same bits as the scalar loops of {@link FloatDecoder}
 * and {@link FloatEncoder} (torch's round to nearest even, every NaN to {@code 0x7FC0}). Loaded only
 * when the JVM has the {@code jdk.incubator.vector} module; the last {@code n mod lanes} elements go
 * through the scalar loops.
 */
final class VectorBf16 {

    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, FLOATS.vectorShape());
    private static final VectorSpecies<Short> SHORTS =
            VectorSpecies.of(short.class, VectorShape.forBitSize(FLOATS.vectorBitSize() / 2));
    private static final int LANES = FLOATS.length();

    private VectorBf16() {}

    /** Returns how many leading elements were done: {@code dst[offset + i] = float(bits[i])}. */
    static int decode(short[] bits, float[] dst, int offset, int n) {
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += LANES) {
            ((IntVector) ShortVector.fromArray(SHORTS, bits, i).convertShape(VectorOperators.S2I, INTS, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, offset + i);
        }
        return i;
    }

    /** Returns how many leading elements were done: {@code bits[i] = bf16(src[from + i])}. */
    static int encode(float[] src, int from, short[] bits, int n) {
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(FLOATS, src, from + i);
            IntVector rounded = roundedBits(v).lanewise(VectorOperators.LSHR, 16);
            rounded.convertShape(VectorOperators.I2S, SHORTS, 0).reinterpretAsShorts().intoArray(bits, i);
        }
        return i;
    }

    /** Returns how many leading elements were done: {@code v[from + i] = float(bf16(v[from + i]))}. */
    static int round(float[] v, int from, int n) {
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += LANES) {
            roundedBits(FloatVector.fromArray(FLOATS, v, from + i)).and(0xFFFF0000).reinterpretAsFloats()
                    .intoArray(v, from + i);
        }
        return i;
    }

    /** The float32 bits plus the rounding bias (the bf16 bits are the high half), NaN as {@code 0x7FC0xxxx}. */
    private static IntVector roundedBits(FloatVector v) {
        IntVector bits = v.reinterpretAsInts();
        IntVector rounded = bits.add(bits.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF);
        VectorMask<Integer> nan = v.test(VectorOperators.IS_NAN).cast(INTS);
        return rounded.blend(0x7FC00000, nan);
    }
}
