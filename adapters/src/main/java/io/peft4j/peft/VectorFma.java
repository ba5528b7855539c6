package io.peft4j.peft;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link LoraDelta#row} on SIMD registers: each group of lanes accumulates its fused multiply-adds
 * over {@code k = 0..r-1} in registers, then is scaled and stored once. A vector fused multiply-add
 * rounds once per lane, like the scalar one, so the bits are those of the scalar loop. Loaded only
 * when the JVM has the {@code jdk.incubator.vector} module; the last {@code width mod lanes}
 * elements run through the scalar loop.
 */
final class VectorFma {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final int BLOCK = 4 * LANES;

    private VectorFma() {}

    static void row(float[] left, int leftOffset, float[] right, int rank, int width, float scale,
                    float[] dst, int offset) {
        FloatVector zero = FloatVector.zero(SPECIES);
        int i = 0;
        for (int bound = width - width % BLOCK; i < bound; i += BLOCK) {
            FloatVector acc0 = zero;
            FloatVector acc1 = zero;
            FloatVector acc2 = zero;
            FloatVector acc3 = zero;
            for (int k = 0, at = i; k < rank; k++, at += width) {
                FloatVector factor = FloatVector.broadcast(SPECIES, left[leftOffset + k]);
                acc0 = FloatVector.fromArray(SPECIES, right, at).fma(factor, acc0);
                acc1 = FloatVector.fromArray(SPECIES, right, at + LANES).fma(factor, acc1);
                acc2 = FloatVector.fromArray(SPECIES, right, at + 2 * LANES).fma(factor, acc2);
                acc3 = FloatVector.fromArray(SPECIES, right, at + 3 * LANES).fma(factor, acc3);
            }
            acc0.mul(scale).intoArray(dst, offset + i);
            acc1.mul(scale).intoArray(dst, offset + i + LANES);
            acc2.mul(scale).intoArray(dst, offset + i + 2 * LANES);
            acc3.mul(scale).intoArray(dst, offset + i + 3 * LANES);
        }
        for (int bound = SPECIES.loopBound(width); i < bound; i += LANES) {
            FloatVector acc = zero;
            for (int k = 0, at = i; k < rank; k++, at += width) {
                acc = FloatVector.fromArray(SPECIES, right, at).fma(FloatVector.broadcast(SPECIES, left[leftOffset + k]), acc);
            }
            acc.mul(scale).intoArray(dst, offset + i);
        }
        if (i < width) {
            Arrays.fill(dst, offset + i, offset + width, 0f);
            for (int k = 0; k < rank; k++) {
                LoraDelta.fmaTail(left[leftOffset + k], right, k * width, dst, offset, i, width);
            }
            for (int j = i; j < width; j++) {
                dst[offset + j] *= scale;
            }
        }
    }
}
