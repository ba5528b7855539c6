package io.peft4j.extract;

/**
 * A rank-{@code rank} factorization {@code B @ A} of a {@code rows x cols} matrix: {@code B}
 * row-major {@code rows x rank}, {@code A} row-major {@code rank x cols}.
 */
record LowRankPair(float[] b, float[] a, int rows, int rank, int cols) {

    /** The pair of the transposed matrix: {@code (B A)^T = A^T B^T}. */
    LowRankPair transpose() {
        return new LowRankPair(transpose(a, rank, cols), transpose(b, rows, rank), cols, rank, rows);
    }

    private static float[] transpose(float[] m, int r, int c) {
        float[] t = new float[m.length];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                t[j * r + i] = m[i * c + j];
            }
        }
        return t;
    }
}
