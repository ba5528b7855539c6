package io.peft4j.extract;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * The exact SVD of a LoRA product {@code B @ A} ({@code B} {@code rows x r}, {@code A} {@code r x cols})
 * without forming the {@code rows x cols} matrix: thin QR {@code B = Qb Rb} and {@code A^T = Qa Ra},
 * SVD of the {@code r x r} core {@code Rb Ra^T = Uc S Vc^T}, then {@code U = Qb Uc}, {@code V = Qa Vc}.
 * Cost {@code O((rows + cols) r^2)}, float64 throughout.
 */
public final class ProductSvd {

    /**
     * Singular values at most this fraction of the largest are treated as zero: float32 factors
     * and weights cannot resolve them (they are rounding noise).
     */
    public static final double NEGLIGIBLE = 1e-6;

    private ProductSvd() {}

    /** The singular values of {@code scale * B @ A}, descending ({@code r} of them, trailing ones possibly zero). */
    public static double[] singularValues(float[] b, float[] a, int rows, int rank, int cols, double scale) {
        return of(b, a, rows, rank, cols, scale).s();
    }

    /** Every singular triplet of {@code scale * B @ A}, with its exact squared norm. */
    static Factorization of(float[] b, float[] a, int rows, int rank, int cols, double scale) {
        if (rank == 0) {
            return new Factorization(new float[0], new double[0], new float[0], rows, cols, 0);
        }
        DMatrixRMaj bm = RandomizedSvd.toDouble(b, rows, rank);
        CommonOps_DDRM.scale(scale, bm);
        DMatrixRMaj at = CommonOps_DDRM.transpose(RandomizedSvd.toDouble(a, rank, cols), null);
        DMatrixRMaj[] qrB = RandomizedSvd.thinQr(bm);
        DMatrixRMaj[] qrA = RandomizedSvd.thinQr(at);
        DMatrixRMaj core = new DMatrixRMaj(qrB[1].numRows, qrA[1].numRows);
        CommonOps_DDRM.multTransB(qrB[1], qrA[1], core);
        DMatrixRMaj[] usv = RandomizedSvd.svd(core);
        int width = Math.min(usv[1].numRows, usv[1].numCols);
        DMatrixRMaj u = new DMatrixRMaj(rows, usv[0].numCols);
        CommonOps_DDRM.mult(qrB[0], usv[0], u);
        DMatrixRMaj v = new DMatrixRMaj(cols, usv[2].numCols);
        CommonOps_DDRM.mult(qrA[0], usv[2], v);
        double[] s = RandomizedSvd.diagonal(usv[1], width);
        double energy = 0;
        for (double x : s) {
            energy += x * x;
        }
        return new Factorization(RandomizedSvd.toFloat(trimColumns(u, width)), s,
                RandomizedSvd.toFloat(trimColumns(v, width)), rows, cols, energy);
    }

    private static DMatrixRMaj trimColumns(DMatrixRMaj m, int width) {
        return m.numCols == width ? m : CommonOps_DDRM.extract(m, 0, m.numRows, 0, width);
    }
}
