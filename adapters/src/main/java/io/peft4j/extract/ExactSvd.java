package io.peft4j.extract;

import org.ejml.data.DMatrixRMaj;

/**
 * The full SVD of an update (EJML, float64), the reference the randomized decomposition is checked
 * against ({@code --exact}). It holds the whole {@code rows x cols} matrix in float64 and costs
 * {@code O(rows * cols * min(rows, cols))}: meant for checking, not for large models.
 */
final class ExactSvd {

    private ExactSvd() {}

    /** Every singular triplet of {@code delta}. */
    static Factorization of(DeltaMatrix delta) {
        int m = delta.rows();
        int n = delta.cols();
        float[] values = new float[Math.multiplyExact(m, n)];
        delta.read(0, m, values);
        double energy = 0;
        for (float x : values) {
            energy += (double) x * x;
        }
        DMatrixRMaj[] usv = RandomizedSvd.svd(RandomizedSvd.toDouble(values, m, n));
        int width = Math.min(m, n);
        return new Factorization(RandomizedSvd.toFloat(usv[0]), RandomizedSvd.diagonal(usv[1], width),
                RandomizedSvd.toFloat(usv[2]), m, n, energy);
    }
}
