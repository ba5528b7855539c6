package io.peft4j.safetensors;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 conversions and checks on SIMD registers, with the bits of the scalar loops of
 * {@link FloatDecoder} and {@link FloatEncoder} (which copy bits between memory and arrays in bulk:
 * a vector access to a segment checks the segment's session each time): bf16 bits to and from
 * float32, rounding to bf16 (torch's round to nearest even, every NaN to {@code 0x7FC0}), and the
 * finiteness check. Loaded only when the JVM has the {@code jdk.incubator.vector} module; each method
 * returns how many leading elements it did, the rest (fewer than a vector) is left to the scalar loops.
 */
final class VectorFloats {

    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, FLOATS.vectorShape());
    private static final VectorSpecies<Short> SHORTS =
            VectorSpecies.of(short.class, VectorShape.forBitSize(FLOATS.vectorBitSize() / 2));
    private static final int LANES = FLOATS.length();

    private VectorFloats() {}

    /** {@code dst[offset + i] = float(bits[i])} (bf16 bits) for the leading whole vectors of {@code n}. */
    static int decodeBf16(short[] bits, float[] dst, int offset, int n) {
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += LANES) {
            ((IntVector) ShortVector.fromArray(SHORTS, bits, i).convertShape(VectorOperators.S2I, INTS, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, offset + i);
        }
        return i;
    }

    /** {@code bits[i] = bf16(src[from + i])} for the leading whole vectors of {@code n}. */
    static int encodeBf16(float[] src, int from, short[] bits, int n) {
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += LANES) {
            IntVector rounded = roundedBits(FloatVector.fromArray(FLOATS, src, from + i)).lanewise(VectorOperators.LSHR, 16);
            rounded.convertShape(VectorOperators.I2S, SHORTS, 0).reinterpretAsShorts().intoArray(bits, i);
        }
        return i;
    }

    /** {@code v[from + i] = float(bf16(v[from + i]))} for the leading whole vectors of {@code n}. */
    static int roundBf16(float[] v, int from, int n) {
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += LANES) {
            roundedBits(FloatVector.fromArray(FLOATS, v, from + i)).and(0xFFFF0000).reinterpretAsFloats()
                    .intoArray(v, from + i);
        }
        return i;
    }

    /** The number of leading whole vectors' elements of {@code v[from .. from + n)} before the first vector holding a NaN or infinity. */
    static int finitePrefix(float[] v, int from, int n) {
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += LANES) {
            if (!FloatVector.fromArray(FLOATS, v, from + i).test(VectorOperators.IS_FINITE).allTrue()) {
                return i;
            }
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
