package io.peft4j.merge;

import java.util.stream.IntStream;

/**
 * The product {@code scale * B @ A} of a LoRA pair, in one fixed order, the same on every CPU.
 *
 * <p>Every element is a float32 sum over the rank in order {@code k = 0..r-1} with a fused
 * multiply-add per term ({@code acc = fma(B[o,k], A[k,i], acc)}), then multiplied once by the
 * scaling rounded to float32. That is what torch's CPU matmul (MKL's sgemm) computes for most
 * shapes, so merges are then bit-identical to PEFT's; but the kernel picks its order by CPU and
 * shape (torch 2.13 / MKL 2024.2 on an AVX2 EPYC: no FMA when the delta is 8 columns wide, another
 * order for row counts off its block size and for ranks of about 200 and more), and there PEFT's
 * values differ from these within the error of reordering an r-term float32 sum (see the README). With {@code --add-modules jdk.incubator.vector} the inner loop runs on
 * SIMD registers ({@link VectorFma}, same bits, about five times faster); without it, a scalar loop.
 */
public final class LoraProduct {

    private static final int PARALLEL_THRESHOLD = 1 << 16;
    private static final boolean VECTOR_API = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private LoraProduct() {}

    /**
     * Returns {@code scale * B @ A} as a row-major {@code [out, in]} array.
     *
     * @param b     row-major {@code [out, rank]}
     * @param a     row-major {@code [rank, in]}
     * @param scale the scaling, rounded to float32 before use as PyTorch does with a Python float
     */
    public static float[] scaled(float[] b, float[] a, int out, int rank, int in, double scale) {
        float s = (float) scale;
        float[] result = new float[Math.multiplyExact(out, in)];
        rows(out, (long) out * in * rank).forEach(o -> {
            int row = o * in;
            for (int k = 0; k < rank; k++) {
                float bk = b[o * rank + k];
                int arow = k * in;
                if (VECTOR_API) {
                    VectorFma.row(result, row, a, arow, bk, in);
                } else {
                    for (int i = 0; i < in; i++) {
                        result[row + i] = Math.fma(bk, a[arow + i], result[row + i]);
                    }
                }
            }
            for (int i = 0; i < in; i++) {
                result[row + i] *= s;
            }
        });
        return result;
    }

    /** Returns the transpose of a row-major {@code [rows, cols]} matrix. */
    public static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        rows(rows, (long) rows * cols).forEach(r -> {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        });
        return t;
    }

    /** Row indices, in parallel when the work is large enough to pay for it. */
    static IntStream rows(int count, long work) {
        IntStream range = IntStream.range(0, count);
        return work >= PARALLEL_THRESHOLD ? range.parallel() : range;
    }
}
