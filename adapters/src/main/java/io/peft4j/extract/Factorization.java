package io.peft4j.extract;

/**
 * A (possibly truncated) singular value decomposition {@code delta ~= U diag(S) V^T} of a
 * {@code rows x cols} update, with the update's exact squared Frobenius norm beside it (a randomized
 * decomposition holds only the leading singular values, so the norm is measured, not summed).
 *
 * @param u             row-major {@code rows x width}, orthonormal columns
 * @param s             the {@code width} singular values, descending
 * @param v             row-major {@code cols x width}, orthonormal columns
 * @param rows          the update's rows
 * @param cols          the update's columns
 * @param totalEnergy   {@code ||delta||_F^2}
 */
record Factorization(float[] u, double[] s, float[] v, int rows, int cols, double totalEnergy) {

    /** The number of singular triplets held. */
    int width() {
        return s.length;
    }

    /** {@code sum_{j < k} S_j^2}: the energy a rank-{@code k} truncation keeps. */
    double energy(int k) {
        double e = 0;
        for (int j = 0; j < k; j++) {
            e += s[j] * s[j];
        }
        return e;
    }

    /**
     * The rank-{@code k} LoRA pair with the singular values split evenly, {@code B = U_k sqrt(S_k)}
     * ({@code rows x k}) and {@code A = sqrt(S_k) V_k^T} ({@code k x cols}), so that {@code B @ A} is
     * the truncation and both factors have the same scale.
     */
    LowRankPair truncate(int k) {
        int w = width();
        float[] b = new float[rows * k];
        float[] a = new float[k * cols];
        for (int j = 0; j < k; j++) {
            float root = (float) Math.sqrt(s[j]);
            for (int o = 0; o < rows; o++) {
                b[o * k + j] = u[o * w + j] * root;
            }
            for (int i = 0; i < cols; i++) {
                a[j * cols + i] = v[i * w + j] * root;
            }
        }
        return new LowRankPair(b, a, rows, k, cols);
    }
}
