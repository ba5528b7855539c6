package io.peft4j.merge;

/**
 * Float32 L2 norms per output feature summed in the order torch 2.x's CPU kernel uses (measured on
 * x86: ATen's DEFAULT and AVX2 kernels on an AVX2 EPYC, and on an AVX-512 EPYC), so that
 * DoRA's {@code magnitude / norm} matches PEFT's bit for bit (a correctly rounded norm differs from
 * torch's in about 30% of rows). Measured against {@code torch.linalg.norm(x, dim=1)}:
 *
 * <ul>
 *   <li>a contiguous row (Linear, Conv2d): eight float32 lanes, lane {@code l} accumulating
 *       {@code x[j]^2} for {@code j = l mod 8} (multiply, then add; no FMA); the lanes summed in
 *       order; the remaining {@code n mod 8} squares then added one by one (100% equal for row
 *       lengths that are multiples of 8, about 95-98% otherwise);</li>
 *   <li>a strided row (the transposed Conv1D and Embedding layouts): squares added one by one in order.</li>
 * </ul>
 */
final class TorchNorm {

    private static final int LANES = 8;

    private TorchNorm() {}

    /** Norms of the {@code features} contiguous rows of length {@code inner} of {@code v}. */
    static float[] rows(float[] v, int features, int inner) {
        float[] norms = new float[features];
        float[] lanes = new float[LANES];
        for (int o = 0; o < features; o++) {
            java.util.Arrays.fill(lanes, 0f);
            int base = o * inner;
            int vectorEnd = inner - inner % LANES;
            for (int j = 0; j < vectorEnd; j += LANES) {
                for (int l = 0; l < LANES; l++) {
                    float x = v[base + j + l];
                    float square = x * x;
                    lanes[l] = lanes[l] + square;
                }
            }
            float sum = 0;
            for (float lane : lanes) {
                sum += lane;
            }
            for (int j = vectorEnd; j < inner; j++) {
                float x = v[base + j];
                float square = x * x;
                sum += square;
            }
            norms[o] = (float) Math.sqrt(sum);
        }
        return norms;
    }

    /** Norms of the {@code features} columns of the row-major {@code [v.length / features, features]} matrix {@code v}. */
    static float[] columns(float[] v, int features) {
        float[] sums = new float[features];
        for (int j = 0; j < v.length; j++) {
            float x = v[j];
            float square = x * x;
            sums[j % features] += square;
        }
        float[] norms = new float[features];
        for (int o = 0; o < features; o++) {
            norms[o] = (float) Math.sqrt(sums[o]);
        }
        return norms;
    }
}
