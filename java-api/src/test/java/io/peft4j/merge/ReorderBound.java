package io.peft4j.merge;

import io.peft4j.peft.LayerKind;
import io.peft4j.peft.LoraModule;
import io.peft4j.safetensors.DType;
import java.util.List;

/**
 * How far a merged value may lie from PEFT's when torch's CPU kernel sums a delta's rank terms in
 * another order than peft4j (the only freedom a kernel has: the products and the rest of the merge
 * are fixed IEEE operations). Per element of the base tensor, in double precision:
 *
 * <ul>
 *   <li>a delta {@code s * sum_k B[o,k] A[k,i]} summed in float32 in any order, with or without
 *       FMA, is within {@code gamma_r * P} of the exact sum, {@code P = |s| sum_k |B[o,k] A[k,i]|}
 *       and {@code gamma_r = r u / (1 - r u)}, {@code u = 2^-24}; two orders differ by at most twice
 *       that, plus the rounding of the scaling: {@code 2 (gamma_r + u) P};</li>
 *   <li>each rounding of the running value to the base dtype adds at most one unit in the last
 *       place of the dtype at the value's magnitude (bounded by {@code |W| + sum P});</li>
 *   <li>DoRA: the row norm of {@code W0 + delta} moves by at most the 2-norm of the deltas' difference
 *       plus its own summation-order error {@code (gamma_n + 2u) * norm}, so {@code m / norm} by
 *       {@code |m| dNorm / norm^2} and the merged value by {@code |f| dx + |x| df} plus three roundings.</li>
 * </ul>
 */
final class ReorderBound {

    private static final double U = 0x1p-24;

    private ReorderBound() {}

    /**
     * The bound per element of a base tensor after {@code updates} (in merge order) on the unmerged
     * {@code base} values of dtype {@code dtype}.
     */
    static double[] of(List<TensorUpdate> updates, float[] base, DType dtype) {
        double[] tol = new double[base.length];
        double[] magnitude = new double[base.length];
        for (int j = 0; j < base.length; j++) {
            magnitude[j] = Math.abs(base[j]);
        }
        for (TensorUpdate update : updates) {
            if (update.bias()) {
                continue; // b + w*s*bias: element-wise, the same on every CPU
            }
            LoraModule module = update.module();
            double[] p = absoluteProduct(update);
            double gamma = gamma(module.rank());
            double[] dDelta = new double[base.length];
            for (int j = 0; j < base.length; j++) {
                dDelta[j] = 2 * (gamma + U) * p[j];
                magnitude[j] += p[j];
            }
            if (module.magnitude().isEmpty()) {
                int roundings = module.kind() == LayerKind.EMBEDDING ? 2 : 1; // PEFT rounds an embedding's delta first
                for (int j = 0; j < base.length; j++) {
                    tol[j] += dDelta[j] + roundings * ulp(magnitude[j], dtype);
                }
            } else {
                dora(update, base, dDelta, tol, magnitude, dtype);
            }
        }
        return tol;
    }

    private static void dora(TensorUpdate update, float[] base, double[] dDelta, double[] tol, double[] magnitude, DType dtype) {
        float[] m = update.module().magnitude().orElseThrow().toFloatArray();
        int features = m.length;
        int inner = base.length / features;
        float[] delta = update.delta();
        float[] norms = update.doraNorms(base, delta, features);
        double[] shift = new double[features];
        for (int j = 0; j < base.length; j++) {
            double d = dDelta[j] + ulp(Math.abs(base[j]) + Math.abs(delta[j]), DType.F32);
            shift[update.feature(j, features, inner)] += d * d;
        }
        double gamma = gamma(inner + 1);
        double[] dFactor = new double[features];
        double[] factor = new double[features];
        for (int o = 0; o < features; o++) {
            double n = norms[o];
            double dn = Math.sqrt(shift[o]) + (gamma + 2 * U) * n;
            double low = Math.max(n - dn, Double.MIN_NORMAL);
            factor[o] = Math.abs(m[o]) / low;
            dFactor[o] = Math.abs(m[o]) * dn / (low * low) + 2 * U * factor[o];
        }
        for (int j = 0; j < base.length; j++) {
            int o = update.feature(j, features, inner);
            double x = magnitude[j];
            double dx = tol[j] + dDelta[j] + ulp(x, DType.F32);
            magnitude[j] = factor[o] * x;
            tol[j] = factor[o] * dx + x * dFactor[o] + 2 * ulp(magnitude[j], DType.F32) + ulp(magnitude[j], dtype);
        }
    }

    /** {@code |w s| * |B| @ |A|} laid out like the base weight (transposed for Conv1D and Embedding). */
    private static double[] absoluteProduct(TensorUpdate update) {
        LoraModule module = update.module();
        float[] a = module.loraA().toFloatArray();
        float[] b = module.loraB().toFloatArray();
        int rank = module.rank();
        int out = Math.toIntExact(module.loraB().shape()[0]);
        int in = a.length / rank;
        boolean transposed = module.kind() == LayerKind.CONV1D || module.kind() == LayerKind.EMBEDDING;
        double scale = Math.abs(module.scaling() * update.weight());
        double[] p = new double[out * in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double sum = 0;
                for (int k = 0; k < rank; k++) {
                    sum += Math.abs((double) b[o * rank + k] * a[k * in + i]);
                }
                p[transposed ? i * out + o : o * in + i] = scale * sum;
            }
        }
        return p;
    }

    private static double gamma(int n) {
        return n * U / (1 - n * U);
    }

    /** One unit in the last place of {@code dtype} for values up to {@code magnitude}. */
    static double ulp(double magnitude, DType dtype) {
        double f32 = Math.ulp((float) Math.min(magnitude, Float.MAX_VALUE));
        return switch (dtype) {
            case BF16 -> f32 * 65536;
            case F16 -> Math.max(0x1p-24, f32 * 8192);
            default -> f32;
        };
    }
}
