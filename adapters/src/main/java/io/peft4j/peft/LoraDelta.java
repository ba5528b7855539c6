package io.peft4j.peft;

import io.peft4j.safetensors.VectorApi;
import java.util.stream.IntStream;

/**
 * The LoRA delta kernel: {@code scale * B @ A} in one fixed order, the same on every CPU. This is
 * the only implementation of the rule; {@link LoraModule#delta(double)}, merges and soups all go
 * through it.
 *
 * <p>Every element is a float32 sum over the rank in order {@code k = 0..r-1} with one fused
 * multiply-add per term ({@code acc = fma(B[o,k], A[k,i], acc)}), then multiplied once by the
 * scaling rounded to float32. That is what torch's CPU matmul (MKL's sgemm) computes for most
 * shapes, so merges are then bit-identical to PEFT's (a multiply-then-add sum or a float64 scaling
 * differs in about a third of the elements); but the kernel picks its order by CPU and shape (torch
 * 2.13 / MKL 2024.2 on an AVX2 EPYC: no FMA when the delta is 8 columns wide, another order for row
 * counts off its block size and for ranks of about 200 and more), and there PEFT's values differ
 * from these within the error of reordering an r-term float32 sum (see the README).
 *
 * <p>The delta is produced one row at a time ({@link #row}), laid out like the base weight it is
 * added to: {@code [out, in]} for Linear and Conv2d, the transpose {@code [in, out]} for GPT-2
 * Conv1D and Embedding (computed directly as {@code A^T} times {@code B^T}: the same products in the
 * same order, since a fused multiply-add does not depend on the order of its two factors). With the
 * Vector API ({@link VectorApi}) a row runs on SIMD registers, otherwise in a scalar loop; both give
 * the same bits.
 */
public final class LoraDelta {

    private static final boolean VECTOR = VectorApi.isAvailable();
    private static final long PARALLEL_WORK = 1 << 16;
    /** Rows {@link #toArray} computes per call of {@link #rows}. */
    private static final int GROUP = 16;

    private final float[] left;
    private final float[] right;
    private final int rows;
    private final int rank;
    private final int width;
    private final float scale;

    private LoraDelta(float[] left, float[] right, int rows, int rank, int width, double scale) {
        if (left.length != (long) rows * rank || right.length != (long) rank * width) {
            throw new IllegalArgumentException("factor sizes " + left.length + ", " + right.length
                    + " do not fit rows=" + rows + " rank=" + rank + " width=" + width);
        }
        this.left = left;
        this.right = right;
        this.rows = rows;
        this.rank = rank;
        this.width = width;
        this.scale = (float) scale;
    }

    /**
     * {@code scale * B @ A}, row-major {@code [out, in]}.
     *
     * @param b     row-major {@code [out, rank]}
     * @param a     row-major {@code [rank, in]}
     * @param scale the scaling, rounded to float32 before use as PyTorch does with a Python float
     */
    public static LoraDelta of(float[] b, float[] a, int out, int rank, int in, double scale) {
        return new LoraDelta(b, a, out, rank, in, scale);
    }

    /** {@code (scale * B @ A)^T}, row-major {@code [in, out]}: the layout of Conv1D and Embedding weights. */
    public static LoraDelta transposed(float[] b, float[] a, int out, int rank, int in, double scale) {
        return new LoraDelta(transpose(a, rank, in), transpose(b, out, rank), in, rank, out, scale);
    }

    /** The number of rows. */
    public int rows() {
        return rows;
    }

    /** The length of a row. */
    public int width() {
        return width;
    }

    /** Writes row {@code row} of the delta into {@code dst[offset .. offset + width())}. */
    public void row(int row, float[] dst, int offset) {
        rows(row, 1, dst, offset);
    }

    /**
     * Writes rows {@code first .. first + count - 1} of the delta into {@code dst}, one after another
     * from {@code offset} ({@code count * width()} values); with the Vector API several rows at once
     * are cheaper than one by one.
     */
    public void rows(int first, int count, float[] dst, int offset) {
        java.util.Objects.checkFromIndexSize(first, count, rows);
        java.util.Objects.checkFromIndexSize(offset, count * width, dst.length);
        if (VECTOR) {
            VectorFma.rows(left, rank, right, width, scale, first, count, dst, offset);
        } else {
            for (int r = 0; r < count; r++) {
                scalarRow(first + r, dst, offset + r * width);
            }
        }
    }

    /** The whole delta, row-major {@code [rows(), width()]}, groups of rows computed in parallel when large. */
    public float[] toArray() {
        float[] out = new float[Math.multiplyExact(rows, width)];
        IntStream groups = IntStream.range(0, (rows + GROUP - 1) / GROUP);
        (((long) rows * width * rank >= PARALLEL_WORK) ? groups.parallel() : groups).forEach(g ->
                rows(g * GROUP, Math.min(GROUP, rows - g * GROUP), out, g * GROUP * width));
        return out;
    }

    /**
     * {@link #row} without the Vector API: for each {@code k} in order, {@code dst = fma(left[row, k],
     * right[k, :], dst)} over the row, then {@code dst *= scale}. Package-private so tests can check
     * it against PEFT in a JVM that has the Vector API.
     */
    void scalarRow(int row, float[] dst, int offset) {
        java.util.Arrays.fill(dst, offset, offset + width, 0f);
        for (int k = 0; k < rank; k++) {
            fmaTail(left[row * rank + k], right, k * width, dst, offset, 0, width);
        }
        for (int i = 0; i < width; i++) {
            dst[offset + i] *= scale;
        }
    }

    /** {@code dst[offset + i] = fma(factor, right[rightOffset + i], dst[offset + i])} for {@code from <= i < to}. */
    static void fmaTail(float factor, float[] right, int rightOffset, float[] dst, int offset, int from, int to) {
        for (int i = from; i < to; i++) {
            dst[offset + i] = Math.fma(factor, right[rightOffset + i], dst[offset + i]);
        }
    }

    private static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }
}
