package io.peft4j.merge;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Truncated SVD of a combined LoRA update into a new pair of rank {@code k}:
 * {@code delta ~= U_k S_k V_k^T}, written as {@code B = U_k S_k}, {@code A = V_k^T} (PEFT's split in
 * {@code _svd_generalized_task_arithmetic_weighted_adapter}).
 *
 * <p>When the update is a product of stacked factors, {@code delta = Bs @ As} with {@code Bs}
 * {@code [out, R]} and {@code As} {@code [R, in]} ({@code R} = the sum of the input ranks), it is
 * decomposed without ever forming the {@code out x in} matrix: thin QR {@code Bs = Qb Rb} and
 * {@code As^T = Qa Ra}, SVD of the small core {@code Rb Ra^T = Uc S Vc^T}, then {@code U = Qb Uc},
 * {@code V = Qa Vc}. That costs {@code O((out + in) R^2)} instead of {@code O(out * in * min(out, in))}.
 * Pruned combinations are not low-rank and go through {@link #ofMatrix}. Computed in float64 (EJML),
 * returned as float32. Singular vectors are unique only up to sign, so compare products, not factors.
 */
public final class LowRankSvd {

    private LowRankSvd() {}

    /** Rank-{@code k} factors of {@code bStack @ aStack} through QR of the factors and an SVD of the core. */
    public static LoraFactors ofProduct(float[] bStack, float[] aStack, int out, int stackedRank, int in, int k) {
        DMatrixRMaj b = matrix(bStack, out, stackedRank);
        DMatrixRMaj aT = CommonOps_DDRM.transpose(matrix(aStack, stackedRank, in), null);
        DMatrixRMaj[] qrB = thinQr(b);
        DMatrixRMaj[] qrA = thinQr(aT);
        DMatrixRMaj core = new DMatrixRMaj(qrB[1].numRows, qrA[1].numRows);
        CommonOps_DDRM.multTransB(qrB[1], qrA[1], core);
        DMatrixRMaj[] usv = svd(core);
        DMatrixRMaj u = new DMatrixRMaj(out, usv[0].numCols);
        CommonOps_DDRM.mult(qrB[0], usv[0], u);
        DMatrixRMaj v = new DMatrixRMaj(in, usv[2].numCols);
        CommonOps_DDRM.mult(qrA[0], usv[2], v);
        return truncate(u, usv[1], v, out, in, k);
    }

    /** Rank-{@code k} factors of a dense row-major {@code [out, in]} matrix, through its full SVD. */
    public static LoraFactors ofMatrix(float[] delta, int out, int in, int k) {
        DMatrixRMaj[] usv = svd(matrix(delta, out, in));
        return truncate(usv[0], usv[1], usv[2], out, in, k);
    }

    /** {@code [Q, R]} of the thin QR decomposition. */
    private static DMatrixRMaj[] thinQr(DMatrixRMaj m) {
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(m.numRows, m.numCols);
        if (!qr.decompose(m.copy())) {
            throw new MergeException("QR decomposition failed (non-finite adapter values?)");
        }
        return new DMatrixRMaj[] {qr.getQ(null, true), qr.getR(null, true)};
    }

    /** {@code [U, diag(S), V]} of the compact SVD, singular values in descending order. */
    private static DMatrixRMaj[] svd(DMatrixRMaj m) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd =
                DecompositionFactory_DDRM.svd(m.numRows, m.numCols, true, true, true);
        if (!svd.decompose(m.copy())) {
            throw new MergeException("SVD did not converge (non-finite adapter values?)");
        }
        DMatrixRMaj u = svd.getU(null, false);
        DMatrixRMaj w = svd.getW(null);
        DMatrixRMaj v = svd.getV(null, false);
        SingularOps_DDRM.descendingOrder(u, false, w, v, false);
        return new DMatrixRMaj[] {u, w, v};
    }

    /** {@code B = U[:, :k] S[:k]}, {@code A = V[:, :k]^T}, zero-padded when fewer than k singular values exist. */
    private static LoraFactors truncate(DMatrixRMaj u, DMatrixRMaj w, DMatrixRMaj v, int out, int in, int k) {
        int available = Math.min(k, Math.min(u.numCols, Math.min(w.numRows, w.numCols)));
        float[] b = new float[out * k];
        float[] a = new float[k * in];
        for (int j = 0; j < available; j++) {
            double s = w.get(j, j);
            for (int o = 0; o < out; o++) {
                b[o * k + j] = (float) (u.get(o, j) * s);
            }
            for (int i = 0; i < in; i++) {
                a[j * in + i] = (float) v.get(i, j);
            }
        }
        return new LoraFactors(b, a, out, k, in);
    }

    private static DMatrixRMaj matrix(float[] values, int rows, int cols) {
        DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < values.length; i++) {
            m.data[i] = values[i];
        }
        return m;
    }
}
