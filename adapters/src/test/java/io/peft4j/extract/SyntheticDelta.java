package io.peft4j.extract;

import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * A test matrix {@code U diag(sigma) V^T} with random orthonormal {@code U}, {@code V} and a chosen
 * spectrum, held as a row-major float array and served as a {@link DeltaMatrix}.
 */
final class SyntheticDelta implements DeltaMatrix {

    final float[] values;
    final double[] sigma;
    private final int rows;
    private final int cols;

    SyntheticDelta(int rows, int cols, double[] sigma, long seed) {
        this.rows = rows;
        this.cols = cols;
        this.sigma = sigma;
        SplittableRandom random = new SplittableRandom(seed);
        DMatrixRMaj u = orthonormal(rows, sigma.length, random);
        DMatrixRMaj v = orthonormal(cols, sigma.length, random);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < sigma.length; j++) {
                u.set(i, j, u.get(i, j) * sigma[j]);
            }
        }
        DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        CommonOps_DDRM.multTransB(u, v, m);
        values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) m.data[i];
        }
    }

    private static DMatrixRMaj orthonormal(int n, int k, SplittableRandom random) {
        DMatrixRMaj g = new DMatrixRMaj(n, k);
        for (int i = 0; i < g.data.length; i++) {
            g.data[i] = random.nextGaussian();
        }
        return RandomizedSvd.thinQr(g)[0];
    }

    /** The optimal relative error of a rank-k approximation (Eckart-Young). */
    double optimalError(int k) {
        double tail = 0;
        double total = 0;
        for (int j = 0; j < sigma.length; j++) {
            total += sigma[j] * sigma[j];
            if (j >= k) {
                tail += sigma[j] * sigma[j];
            }
        }
        return Math.sqrt(tail / total);
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public void read(int first, int count, float[] dst) {
        System.arraycopy(values, first * cols, dst, 0, count * cols);
    }
}
