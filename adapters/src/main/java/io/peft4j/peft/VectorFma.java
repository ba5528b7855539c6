package io.peft4j.peft;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link LoraDelta#rows} on SIMD registers: each group of lanes accumulates its fused multiply-adds
 * over {@code k = 0..r-1} in registers, then is scaled and stored once. Four rows are computed
 * together, so each vector of {@code A} (of {@code B^T} when transposed) read from cache serves four
 * rows. A vector fused multiply-add rounds once per lane, like the scalar one, so the bits are those
 * of the scalar loop. Loaded only when the JVM has the {@code jdk.incubator.vector} module; the last
 * {@code width mod lanes} columns run through the scalar loop.
 */
final class VectorFma {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final int BLOCK = 4 * LANES;
    private static final int PAIR = 2 * LANES;

    private VectorFma() {}

    /** Rows {@code first .. first + count - 1} of the delta into {@code dst}, one after another from {@code offset}. */
    static void rows(float[] left, int rank, float[] right, int width, float scale, int first, int count,
                     float[] dst, int offset) {
        int r = 0;
        for (; r + 4 <= count; r += 4) {
            fourRows(left, (first + r) * rank, rank, right, width, scale, dst, offset + r * width);
        }
        for (; r < count; r++) {
            row(left, (first + r) * rank, right, rank, width, scale, dst, offset + r * width);
        }
    }

    private static void fourRows(float[] left, int l0, int rank, float[] right, int width, float scale,
                                 float[] dst, int offset) {
        FloatVector zero = FloatVector.zero(SPECIES);
        int l1 = l0 + rank;
        int l2 = l1 + rank;
        int l3 = l2 + rank;
        int i = 0;
        for (int bound = width - width % PAIR; i < bound; i += PAIR) {
            FloatVector a00 = zero;
            FloatVector a01 = zero;
            FloatVector a10 = zero;
            FloatVector a11 = zero;
            FloatVector a20 = zero;
            FloatVector a21 = zero;
            FloatVector a30 = zero;
            FloatVector a31 = zero;
            for (int k = 0, at = i; k < rank; k++, at += width) {
                FloatVector r0 = FloatVector.fromArray(SPECIES, right, at);
                FloatVector r1 = FloatVector.fromArray(SPECIES, right, at + LANES);
                FloatVector f = FloatVector.broadcast(SPECIES, left[l0 + k]);
                a00 = r0.fma(f, a00);
                a01 = r1.fma(f, a01);
                f = FloatVector.broadcast(SPECIES, left[l1 + k]);
                a10 = r0.fma(f, a10);
                a11 = r1.fma(f, a11);
                f = FloatVector.broadcast(SPECIES, left[l2 + k]);
                a20 = r0.fma(f, a20);
                a21 = r1.fma(f, a21);
                f = FloatVector.broadcast(SPECIES, left[l3 + k]);
                a30 = r0.fma(f, a30);
                a31 = r1.fma(f, a31);
            }
            a00.mul(scale).intoArray(dst, offset + i);
            a01.mul(scale).intoArray(dst, offset + i + LANES);
            a10.mul(scale).intoArray(dst, offset + width + i);
            a11.mul(scale).intoArray(dst, offset + width + i + LANES);
            a20.mul(scale).intoArray(dst, offset + 2 * width + i);
            a21.mul(scale).intoArray(dst, offset + 2 * width + i + LANES);
            a30.mul(scale).intoArray(dst, offset + 3 * width + i);
            a31.mul(scale).intoArray(dst, offset + 3 * width + i + LANES);
        }
        if (i < width) {
            for (int x = 0; x < 4; x++) {
                scalarColumns(left, l0 + x * rank, right, rank, width, scale, dst, offset + x * width, i);
            }
        }
    }

    private static void row(float[] left, int leftOffset, float[] right, int rank, int width, float scale,
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
            scalarColumns(left, leftOffset, right, rank, width, scale, dst, offset, i);
        }
    }

    /** Columns {@code from .. width - 1} of one row through the scalar loop. */
    private static void scalarColumns(float[] left, int leftOffset, float[] right, int rank, int width, float scale,
                                      float[] dst, int offset, int from) {
        Arrays.fill(dst, offset + from, offset + width, 0f);
        for (int k = 0; k < rank; k++) {
            LoraDelta.fmaTail(left[leftOffset + k], right, k * width, dst, offset, from, width);
        }
        for (int j = from; j < width; j++) {
            dst[offset + j] *= scale;
        }
    }
}
