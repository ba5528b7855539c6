package io.peft4j.extract;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two products of a pass over a block of rows on SIMD registers (the Vector API): four output
 * rows by one register-wide strip of columns are accumulated in registers over the whole inner
 * dimension, so each load of the thin matrix feeds four fused multiply-adds. Used only when the JVM
 * runs with {@code --add-modules jdk.incubator.vector}; {@link RowBlockProducts} falls back to EJML.
 */
final class VectorKernels {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private VectorKernels() {}

    /** {@code out = block @ right}: {@code block} {@code rows x n}, {@code right} {@code n x width}, {@code out} {@code rows x width}. */
    static void multiply(float[] block, int rows, int n, float[] right, int width, float[] out) {
        accumulate(block, n, 1, rows, n, right, width, out, false);
    }

    /** {@code out += block^T @ left}: {@code block} {@code rows x n}, {@code left} {@code rows x width}, {@code out} {@code n x width}. */
    static void multiplyTransposedAdd(float[] block, int rows, int n, float[] left, int width, float[] out) {
        accumulate(block, 1, n, n, rows, left, width, out, true);
    }

    /** {@code out[a, :] (+)= sum_t coef[a * aStride + t * tStride] * m[t, :]}. */
    private static void accumulate(float[] coef, int aStride, int tStride, int aCount, int tCount, float[] m, int width,
                                   float[] out, boolean add) {
        int lanes = SPECIES.length();
        for (int c = 0; c < width; c += lanes) {
            VectorMask<Float> mask = SPECIES.indexInRange(c, width);
            int a = 0;
            for (; a + 4 <= aCount; a += 4) {
                FloatVector s0 = start(out, a, c, width, mask, add);
                FloatVector s1 = start(out, a + 1, c, width, mask, add);
                FloatVector s2 = start(out, a + 2, c, width, mask, add);
                FloatVector s3 = start(out, a + 3, c, width, mask, add);
                int base = a * aStride;
                for (int t = 0; t < tCount; t++) {
                    FloatVector v = FloatVector.fromArray(SPECIES, m, t * width + c, mask);
                    int ct = base + t * tStride;
                    s0 = v.fma(FloatVector.broadcast(SPECIES, coef[ct]), s0);
                    s1 = v.fma(FloatVector.broadcast(SPECIES, coef[ct + aStride]), s1);
                    s2 = v.fma(FloatVector.broadcast(SPECIES, coef[ct + 2 * aStride]), s2);
                    s3 = v.fma(FloatVector.broadcast(SPECIES, coef[ct + 3 * aStride]), s3);
                }
                s0.intoArray(out, a * width + c, mask);
                s1.intoArray(out, (a + 1) * width + c, mask);
                s2.intoArray(out, (a + 2) * width + c, mask);
                s3.intoArray(out, (a + 3) * width + c, mask);
            }
            for (; a < aCount; a++) {
                FloatVector s = start(out, a, c, width, mask, add);
                for (int t = 0; t < tCount; t++) {
                    s = FloatVector.fromArray(SPECIES, m, t * width + c, mask).fma(FloatVector.broadcast(SPECIES, coef[a * aStride + t * tStride]), s);
                }
                s.intoArray(out, a * width + c, mask);
            }
        }
    }

    private static FloatVector start(float[] out, int a, int c, int width, VectorMask<Float> mask, boolean add) {
        return add ? FloatVector.fromArray(SPECIES, out, a * width + c, mask) : FloatVector.zero(SPECIES);
    }
}
