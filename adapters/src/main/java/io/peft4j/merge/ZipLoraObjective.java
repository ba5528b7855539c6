package io.peft4j.merge;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;

/**
 * ZipLoRA's objective for one layer (Shah et al. 2023, "ZipLoRA: Any Subject in Any Style"), with its
 * analytic gradient, and the Adam loop that minimises it.
 *
 * <p>Two adapters give updates {@code D1 = s1 B1 A1} and {@code D2 = s2 B2 A2} ({@code [out, in]}).
 * The merge scales each input column: {@code D = D1 diag(m1) + D2 diag(m2)}, one coefficient per
 * input feature. The loss asks the merge to reproduce each adapter's effect on that adapter's own
 * inputs while keeping the two mergers from overlapping:
 *
 * <pre>
 * L(m1, m2) = ||(D - D1) P1||^2 / ||D1 P1||^2 + ||(D - D2) P2||^2 / ||D2 P2||^2 + lambda * sum_i |m1_i * m2_i|
 * </pre>
 *
 * where {@code P_i} stands for "the inputs of adapter i": without data, an orthonormal basis
 * {@code Q_i} ({@code [in, r_i]}) of the row space of {@code A_i} (the only inputs {@code D_i} responds
 * to, so {@code ||D_i Q_i|| = ||D_i||_F}); with calibration activations {@code X_i} (rows are input
 * vectors) {@code P_i = X_i^T}. The normalisation makes both adapters count equally.
 *
 * <p>Gradient (with {@code E1 = (D - D1) P1}, {@code E2 = (D - D2) P2}, {@code c_i = ||D_i P_i||^2},
 * {@code U_i = s_i B_i}): since {@code dD/dm1_j = D1[:, j] e_j^T},
 * {@code dL/dm1_j = sum_t (2/c_t) sum_k (D1^T E_t)[j, k] P_t[j, k] + lambda sign(m1_j m2_j) m2_j}, and
 * {@code D1^T E_t = A1^T (U1^T E_t)} is cheap; symmetrically for {@code m2}. Nothing of size
 * {@code out x in} is ever formed: each step costs {@code O((out + in) r k)}.
 */
public final class ZipLoraObjective {

    /** ZipLoRA's default weight of the overlap penalty. */
    public static final double DEFAULT_LAMBDA = 0.01;
    /** The default (and ZipLoRA's) number of Adam steps. */
    public static final int DEFAULT_STEPS = 100;
    /** The default Adam learning rate. */
    public static final double DEFAULT_LEARNING_RATE = 0.01;

    private final DMatrixRMaj u1;
    private final DMatrixRMaj a1;
    private final DMatrixRMaj u2;
    private final DMatrixRMaj a2;
    private final DMatrixRMaj p1;
    private final DMatrixRMaj p2;
    private final double c1;
    private final double c2;
    private final double lambda;
    private final int in;

    private ZipLoraObjective(DMatrixRMaj u1, DMatrixRMaj a1, DMatrixRMaj u2, DMatrixRMaj a2,
                             DMatrixRMaj p1, DMatrixRMaj p2, double lambda) {
        this.u1 = u1;
        this.a1 = a1;
        this.u2 = u2;
        this.a2 = a2;
        this.p1 = p1;
        this.p2 = p2;
        this.lambda = lambda;
        this.in = a1.numCols;
        double[] ones = ones(in);
        this.c1 = squaredNorm(effect(u1, a1, ones, p1));
        this.c2 = squaredNorm(effect(u2, a2, ones, p2));
    }

    /**
     * The objective for two LoRA pairs (scaled updates {@code s_i B_i A_i}).
     *
     * @param calibration1 activations seen by the layer for adapter 1, row-major {@code [n1, in]}, or
     *                     {@code null} for the data-free basis of {@code A1}'s row space
     * @param calibration2 the same for adapter 2
     */
    public static ZipLoraObjective of(LoraFactors first, double scale1, LoraFactors second, double scale2,
                                      float[] calibration1, float[] calibration2, double lambda) {
        if (first.out() != second.out() || first.in() != second.in()) {
            throw new IllegalArgumentException("ZipLoRA needs two updates of the same shape");
        }
        DMatrixRMaj a1 = matrix(first.a(), first.rank(), first.in(), 1);
        DMatrixRMaj a2 = matrix(second.a(), second.rank(), second.in(), 1);
        return new ZipLoraObjective(
                matrix(first.b(), first.out(), first.rank(), scale1), a1,
                matrix(second.b(), second.out(), second.rank(), scale2), a2,
                probe(a1, calibration1), probe(a2, calibration2), lambda);
    }

    /** The loss at {@code (m1, m2)}. */
    public double value(double[] m1, double[] m2) {
        return evaluate(m1, m2, null, null);
    }

    /** The loss at {@code (m1, m2)}; writes its gradient into {@code g1}, {@code g2}. */
    public double valueAndGradient(double[] m1, double[] m2, double[] g1, double[] g2) {
        return evaluate(m1, m2, g1, g2);
    }

    /** Number of input features (the length of each merger vector). */
    public int inFeatures() {
        return in;
    }

    /**
     * Minimises the objective with Adam from {@code m1 = m2 = 1} (the plain sum) and returns the mergers.
     * Each of the at most {@code steps} steps costs {@code O((out + in) r k)}.
     */
    public Mergers minimise(int steps, double learningRate) {
        double[] m1 = ones(in);
        double[] m2 = ones(in);
        double initial = value(m1, m2);
        double[] g1 = new double[in];
        double[] g2 = new double[in];
        Adam adam = new Adam(2 * in, learningRate);
        double[] params = new double[2 * in];
        double[] grads = new double[2 * in];
        for (int step = 0; step < steps; step++) {
            valueAndGradient(m1, m2, g1, g2);
            System.arraycopy(m1, 0, params, 0, in);
            System.arraycopy(m2, 0, params, in, in);
            System.arraycopy(g1, 0, grads, 0, in);
            System.arraycopy(g2, 0, grads, in, in);
            adam.step(params, grads);
            System.arraycopy(params, 0, m1, 0, in);
            System.arraycopy(params, in, m2, 0, in);
        }
        return new Mergers(m1, m2, initial, value(m1, m2));
    }

    /**
     * How much the two merged adapters use the same input columns, between 0 (no input feature is
     * used by both) and 1 (both spread over the features alike): the cosine similarity of their
     * column-size profiles,
     *
     * <pre>
     * overlap(m1, m2) = sum_j |m1_j| ||D1[:, j]|| |m2_j| ||D2[:, j]|| / (||D1 diag(m1)||_F ||D2 diag(m2)||_F)
     * </pre>
     *
     * <p>What the mergers can change and ZipLoRA's penalty {@code sum |m1_j m2_j|} drives down: an
     * input feature that both adapters respond to carries one adapter's inputs into the other's
     * update. At {@code m1 = m2 = 1} it measures the inputs as given.
     */
    public double columnOverlap(double[] m1, double[] m2) {
        return columnStatistic(m1, m2, false);
    }

    /**
     * How aligned the two merged adapters' columns are, between 0 and 1: the mean absolute cosine
     * similarity of the column pairs {@code D1[:, j]}, {@code D2[:, j]} (the quantity ZipLoRA's
     * analysis of LoRA weights looks at), weighted by the columns' sizes after the mergers,
     * {@code sum_j |m1_j m2_j <D1[:, j], D2[:, j]>| / (||D1 diag(m1)||_F ||D2 diag(m2)||_F)}.
     */
    public double columnAlignment(double[] m1, double[] m2) {
        return columnStatistic(m1, m2, true);
    }

    /** Both statistics from the small Gram matrices {@code U_a^T U_b}; nothing of size {@code out x in} is formed. */
    private double columnStatistic(double[] m1, double[] m2, boolean alignment) {
        DMatrixRMaj g11 = gram(u1, u1);
        DMatrixRMaj g22 = gram(u2, u2);
        DMatrixRMaj g12 = alignment ? gram(u1, u2) : null;
        double cross = 0;
        double size1 = 0;
        double size2 = 0;
        for (int j = 0; j < in; j++) {
            double n1 = Math.max(bilinear(a1, g11, a1, j), 0);
            double n2 = Math.max(bilinear(a2, g22, a2, j), 0);
            double pair = alignment ? bilinear(a1, g12, a2, j) : Math.sqrt(n1 * n2);
            cross += Math.abs(m1[j] * m2[j] * pair);
            size1 += m1[j] * m1[j] * n1;
            size2 += m2[j] * m2[j] * n2;
        }
        double norms = Math.sqrt(size1) * Math.sqrt(size2);
        return norms > 0 ? Math.min(1, cross / norms) : 0;
    }

    private static DMatrixRMaj gram(DMatrixRMaj x, DMatrixRMaj y) {
        DMatrixRMaj g = new DMatrixRMaj(x.numCols, y.numCols);
        CommonOps_DDRM.multTransA(x, y, g);
        return g;
    }

    /** {@code x[:, j]^T g y[:, j]}: the inner product of column j of {@code U_x X} and {@code U_y Y}. */
    private static double bilinear(DMatrixRMaj x, DMatrixRMaj g, DMatrixRMaj y, int j) {
        double total = 0;
        for (int p = 0; p < x.numRows; p++) {
            double xp = x.data[p * x.numCols + j];
            if (xp == 0) {
                continue;
            }
            double row = 0;
            for (int q = 0; q < y.numRows; q++) {
                row += g.data[p * g.numCols + q] * y.data[q * y.numCols + j];
            }
            total += xp * row;
        }
        return total;
    }

    /** The merger vectors found, with the objective at the plain sum and at the result. */
    public record Mergers(double[] m1, double[] m2, double initialLoss, double finalLoss) {}

    private double evaluate(double[] m1, double[] m2, double[] g1, double[] g2) {
        double[] m1Minus1 = shifted(m1);
        double[] m2Minus1 = shifted(m2);
        // E1 = (D - D1) P1 = U1 A1 diag(m1 - 1) P1 + U2 A2 diag(m2) P1; E2 likewise with P2
        DMatrixRMaj e1 = sum(effect(u1, a1, m1Minus1, p1), effect(u2, a2, m2, p1));
        DMatrixRMaj e2 = sum(effect(u1, a1, m1, p2), effect(u2, a2, m2Minus1, p2));
        double loss = 0;
        if (c1 > 0) {
            loss += squaredNorm(e1) / c1;
        }
        if (c2 > 0) {
            loss += squaredNorm(e2) / c2;
        }
        for (int j = 0; j < in; j++) {
            loss += lambda * Math.abs(m1[j] * m2[j]);
        }
        if (g1 != null) {
            java.util.Arrays.fill(g1, 0);
            java.util.Arrays.fill(g2, 0);
            if (c1 > 0) {
                addDataGradient(g1, u1, a1, e1, p1, 2 / c1);
                addDataGradient(g2, u2, a2, e1, p1, 2 / c1);
            }
            if (c2 > 0) {
                addDataGradient(g1, u1, a1, e2, p2, 2 / c2);
                addDataGradient(g2, u2, a2, e2, p2, 2 / c2);
            }
            for (int j = 0; j < in; j++) {
                double sign = Math.signum(m1[j] * m2[j]);
                g1[j] += lambda * sign * m2[j];
                g2[j] += lambda * sign * m1[j];
            }
        }
        return loss;
    }

    /** {@code g_j += factor * sum_k (A^T (U^T E))[j, k] * P[j, k]}. */
    private static void addDataGradient(double[] g, DMatrixRMaj u, DMatrixRMaj a, DMatrixRMaj e, DMatrixRMaj p,
                                        double factor) {
        DMatrixRMaj ute = new DMatrixRMaj(u.numCols, e.numCols);
        CommonOps_DDRM.multTransA(u, e, ute);
        int rank = a.numRows;
        int k = p.numCols;
        for (int j = 0; j < g.length; j++) {
            double total = 0;
            for (int r = 0; r < rank; r++) {
                double arj = a.data[r * a.numCols + j];
                if (arj == 0) {
                    continue;
                }
                double inner = 0;
                for (int c = 0; c < k; c++) {
                    inner += ute.data[r * k + c] * p.data[j * k + c];
                }
                total += arj * inner;
            }
            g[j] += factor * total;
        }
    }

    /** {@code U (A diag(v) P)}: the effect of the column-scaled update on the probe inputs. */
    private static DMatrixRMaj effect(DMatrixRMaj u, DMatrixRMaj a, double[] v, DMatrixRMaj p) {
        DMatrixRMaj scaled = a.copy();
        for (int r = 0; r < a.numRows; r++) {
            for (int j = 0; j < a.numCols; j++) {
                scaled.data[r * a.numCols + j] *= v[j];
            }
        }
        DMatrixRMaj small = new DMatrixRMaj(a.numRows, p.numCols);
        CommonOps_DDRM.mult(scaled, p, small);
        DMatrixRMaj result = new DMatrixRMaj(u.numRows, p.numCols);
        CommonOps_DDRM.mult(u, small, result);
        return result;
    }

    /** The probe inputs: {@code X^T} for calibration activations, else an orthonormal basis of A's row space. */
    private static DMatrixRMaj probe(DMatrixRMaj a, float[] calibration) {
        if (calibration != null) {
            if (calibration.length % a.numCols != 0) {
                throw new MergeException("calibration activations of length " + calibration.length
                        + " are not rows of " + a.numCols + " input features");
            }
            return CommonOps_DDRM.transpose(matrix(calibration, calibration.length / a.numCols, a.numCols, 1), null);
        }
        DMatrixRMaj aT = CommonOps_DDRM.transpose(a, null);
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(aT.numRows, aT.numCols);
        if (!qr.decompose(aT)) {
            throw new MergeException("QR decomposition of lora_A failed (non-finite values?)");
        }
        return qr.getQ(null, true);
    }

    private static DMatrixRMaj sum(DMatrixRMaj x, DMatrixRMaj y) {
        CommonOps_DDRM.addEquals(x, y);
        return x;
    }

    private static double squaredNorm(DMatrixRMaj m) {
        double s = 0;
        for (int i = 0; i < m.getNumElements(); i++) {
            s += m.data[i] * m.data[i];
        }
        return s;
    }

    private static double[] ones(int n) {
        double[] v = new double[n];
        java.util.Arrays.fill(v, 1);
        return v;
    }

    private static double[] shifted(double[] m) {
        double[] v = new double[m.length];
        for (int j = 0; j < m.length; j++) {
            v[j] = m[j] - 1;
        }
        return v;
    }

    private static DMatrixRMaj matrix(float[] values, int rows, int cols, double scale) {
        DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < values.length; i++) {
            m.data[i] = values[i] * scale;
        }
        return m;
    }

    /** Adam (Kingma and Ba) with the usual defaults: beta1 0.9, beta2 0.999, epsilon 1e-8. */
    private static final class Adam {
        private final double[] first;
        private final double[] second;
        private final double learningRate;
        private int t;

        Adam(int size, double learningRate) {
            this.first = new double[size];
            this.second = new double[size];
            this.learningRate = learningRate;
        }

        void step(double[] params, double[] grads) {
            t++;
            double correction1 = 1 - Math.pow(0.9, t);
            double correction2 = 1 - Math.pow(0.999, t);
            for (int i = 0; i < params.length; i++) {
                first[i] = 0.9 * first[i] + 0.1 * grads[i];
                second[i] = 0.999 * second[i] + 0.001 * grads[i] * grads[i];
                params[i] -= learningRate * (first[i] / correction1) / (Math.sqrt(second[i] / correction2) + 1e-8);
            }
        }
    }
}
