package io.peft4j.extract;

import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;

/**
 * The products a decomposition needs from a {@link DeltaMatrix}, each one pass over it in blocks of
 * rows (about a megabyte each), so no more than a block of the update is ever in memory. The block
 * products run on SIMD registers ({@link VectorKernels}) when the JVM has the Vector API, else on
 * EJML's float32 kernels; sums of squares are accumulated in float64.
 */
final class RowBlockProducts {

    /** Whether the JVM runs with the Vector API ({@code --add-modules jdk.incubator.vector}): about 4x faster products. */
    private static final boolean VECTOR_API = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    /** Values per block of rows: 256 Ki floats, 1 MiB. */
    private static final int BLOCK_VALUES = 1 << 18;

    private final DeltaMatrix delta;
    private final int rows;
    private final int cols;
    private final int blockRows;
    private final FMatrixRMaj block;

    RowBlockProducts(DeltaMatrix delta) {
        this.delta = delta;
        this.rows = delta.rows();
        this.cols = delta.cols();
        this.blockRows = Math.max(1, Math.min(rows, BLOCK_VALUES / Math.max(1, cols)));
        this.block = new FMatrixRMaj(blockRows, cols);
    }

    /**
     * {@code out = delta @ right} with {@code right} row-major {@code cols x width} and {@code out}
     * row-major {@code rows x width}; returns {@code ||delta||_F^2}.
     */
    double multiply(float[] right, int width, float[] out) {
        FMatrixRMaj r = FMatrixRMaj.wrap(cols, width, right);
        FMatrixRMaj part = new FMatrixRMaj(blockRows, width);
        double energy = 0;
        for (int first = 0; first < rows; first += blockRows) {
            int count = load(first);
            part.reshape(count, width);
            if (VECTOR_API) {
                VectorKernels.multiply(block.data, count, cols, right, width, part.data);
            } else {
                CommonOps_FDRM.mult(block, r, part);
            }
            System.arraycopy(part.data, 0, out, first * width, count * width);
            energy += sumOfSquares(block.data, count * cols);
        }
        return energy;
    }

    /** {@code out = delta^T @ left} with {@code left} row-major {@code rows x width} and {@code out} {@code cols x width}. */
    void multiplyTransposed(float[] left, int width, float[] out) {
        FMatrixRMaj result = FMatrixRMaj.wrap(cols, width, out);
        result.zero();
        FMatrixRMaj part = new FMatrixRMaj(blockRows, width);
        for (int first = 0; first < rows; first += blockRows) {
            int count = load(first);
            part.reshape(count, width);
            System.arraycopy(left, first * width, part.data, 0, count * width);
            if (VECTOR_API) {
                VectorKernels.multiplyTransposedAdd(block.data, count, cols, part.data, width, out);
            } else {
                CommonOps_FDRM.multAddTransA(block, part, result);
            }
        }
    }

    /** {@code ||delta - B @ A||_F^2} of a pair of the same shape. */
    double residual(LowRankPair pair) {
        FMatrixRMaj a = FMatrixRMaj.wrap(pair.rank(), cols, pair.a());
        FMatrixRMaj b = new FMatrixRMaj(blockRows, pair.rank());
        FMatrixRMaj product = new FMatrixRMaj(blockRows, cols);
        double sum = 0;
        for (int first = 0; first < rows; first += blockRows) {
            int count = load(first);
            b.reshape(count, pair.rank());
            product.reshape(count, cols);
            System.arraycopy(pair.b(), first * pair.rank(), b.data, 0, count * pair.rank());
            if (pair.rank() > 0) {
                CommonOps_FDRM.mult(b, a, product);
            } else {
                product.zero();
            }
            for (int i = 0; i < count * cols; i++) {
                double d = (double) block.data[i] - product.data[i];
                sum += d * d;
            }
        }
        return sum;
    }

    /** Reads the block starting at row {@code first} into {@link #block}; returns its row count. */
    private int load(int first) {
        int count = Math.min(blockRows, rows - first);
        block.reshape(count, cols);
        delta.read(first, count, block.data);
        return count;
    }

    private static double sumOfSquares(float[] values, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double v = values[i];
            sum += v * v;
        }
        return sum;
    }
}
