package io.peft4j.extract;

import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * The randomized range finder of Halko, Martinsson and Tropp (2011, algorithms 4.4 and 5.1): a
 * Gaussian sketch {@code Y = delta @ Omega} with {@code width = rank + oversampling} columns,
 * {@code powerIterations} rounds of {@code Y = delta (delta^T Q)} with re-orthonormalisation between
 * every product (subspace iteration, stable in float32), {@code Q = qr(Y)}, then the SVD of the small
 * {@code Q^T delta} through a QR of its transpose. Each product is one streaming pass over the update
 * ({@link RowBlockProducts}); the factorizations of the thin {@code rows x width} and {@code cols x width}
 * matrices run in float64 (EJML). Cost {@code O(rows * cols * width)} per pass instead of the full SVD's
 * {@code O(rows * cols * min(rows, cols))}.
 */
final class RandomizedSvd {

    private RandomizedSvd() {}

    /** The leading {@code width} singular triplets of {@code delta}, approximately; {@code seed} fixes {@code Omega}. */
    static Factorization of(DeltaMatrix delta, int width, int powerIterations, long seed) {
        int m = delta.rows();
        int n = delta.cols();
        int l = Math.min(width, Math.min(m, n));
        RowBlockProducts products = new RowBlockProducts(delta);
        float[] omega = gaussian(Math.multiplyExact(n, l), seed);
        float[] y = new float[Math.multiplyExact(m, l)];
        float[] z = new float[Math.multiplyExact(n, l)];
        double energy = products.multiply(omega, l, y);
        for (int iteration = 0; iteration < powerIterations; iteration++) {
            products.multiplyTransposed(orthonormalColumns(y, m, l), l, z);
            products.multiply(orthonormalColumns(z, n, l), l, y);
        }
        float[] q = orthonormalColumns(y, m, l);
        products.multiplyTransposed(q, l, z); // z = delta^T Q = (Q^T delta)^T
        DMatrixRMaj[] qr = thinQr(toDouble(z, n, l));
        DMatrixRMaj core = CommonOps_DDRM.transpose(qr[1], null); // Q^T delta = R^T Qz^T
        DMatrixRMaj[] usv = svd(core);
        DMatrixRMaj u = new DMatrixRMaj(m, l);
        CommonOps_DDRM.mult(toDouble(q, m, l), usv[0], u);
        DMatrixRMaj v = new DMatrixRMaj(n, l);
        CommonOps_DDRM.mult(qr[0], usv[2], v);
        return new Factorization(toFloat(u), diagonal(usv[1], l), toFloat(v), m, n, energy);
    }

    /** The exact SVD of a dense float64 matrix, singular values descending: {@code [U, W, V]}. */
    static DMatrixRMaj[] svd(DMatrixRMaj m) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd =
                DecompositionFactory_DDRM.svd(m.numRows, m.numCols, true, true, true);
        if (!svd.decompose(m)) {
            throw new ExtractException("the SVD did not converge (non-finite weights?)");
        }
        DMatrixRMaj u = svd.getU(null, false);
        DMatrixRMaj w = svd.getW(null);
        DMatrixRMaj v = svd.getV(null, false);
        SingularOps_DDRM.descendingOrder(u, false, w, v, false);
        return new DMatrixRMaj[] {u, w, v};
    }

    /** The diagonal of {@code w}, {@code count} values. */
    static double[] diagonal(DMatrixRMaj w, int count) {
        double[] s = new double[count];
        for (int j = 0; j < count; j++) {
            s[j] = w.get(j, j);
        }
        return s;
    }

    /**
     * {@code [Q, R]} of the thin QR decomposition of a tall matrix. A rank-deficient matrix (a zero
     * column, an untrained LoRA's {@code B = 0}) is fine: EJML reports it as a failure but leaves the
     * reflector of that column the identity, so {@code Q} stays orthonormal and {@code R} gets a zero.
     */
    static DMatrixRMaj[] thinQr(DMatrixRMaj m) {
        for (double x : m.data) {
            if (!Double.isFinite(x)) {
                throw new ExtractException("non-finite values (NaN or infinity) in the weights");
            }
        }
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(m.numRows, m.numCols);
        qr.decompose(m);
        return new DMatrixRMaj[] {qr.getQ(null, true), qr.getR(null, true)};
    }

    private static float[] orthonormalColumns(float[] values, int rows, int cols) {
        return toFloat(thinQr(toDouble(values, rows, cols))[0]);
    }

    private static float[] gaussian(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] g = new float[count];
        for (int i = 0; i < count; i++) {
            g[i] = (float) random.nextGaussian();
        }
        return g;
    }

    static DMatrixRMaj toDouble(float[] values, int rows, int cols) {
        DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < rows * cols; i++) {
            m.data[i] = values[i];
        }
        return m;
    }

    static float[] toFloat(DMatrixRMaj m) {
        float[] f = new float[m.numRows * m.numCols];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) m.data[i];
        }
        return f;
    }
}
