package io.peft4j.gguf;

/**
 * How LoRA factors are laid out for llama.cpp: transposition, and its q/k row permutation ({@code LlamaModel.permute(w, n_head, n_head_kv)} of its
 * converter): the rows of each head, stored by transformers as two halves for rotary embeddings,
 * are interleaved into pairs: {@code w.reshape(heads, 2, rows / heads / 2, cols).swapaxes(1, 2)}.
 * A LoRA's {@code lora_b} rows move with the base weight's rows; {@code lora_a} is unchanged.
 */
final class FactorLayout {

    private FactorLayout() {
    }

    /** The rows of a row-major {@code rows x cols} matrix in llama.cpp's order. */
    static float[] permute(float[] m, int rows, int cols, int heads) {
        return move(m, rows, cols, heads, true);
    }

    /** The inverse of {@link #permute}: llama.cpp's row order back to transformers'. */
    static float[] unpermute(float[] m, int rows, int cols, int heads) {
        return move(m, rows, cols, heads, false);
    }

    private static float[] move(float[] m, int rows, int cols, int heads, boolean forward) {
        int perHead = rows / heads;
        int half = perHead / 2;
        float[] out = new float[m.length];
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < half; j++) {
                for (int k = 0; k < 2; k++) {
                    int transformersRow = h * perHead + k * half + j;
                    int llamaCppRow = h * perHead + 2 * j + k;
                    int from = forward ? transformersRow : llamaCppRow;
                    int to = forward ? llamaCppRow : transformersRow;
                    System.arraycopy(m, from * cols, out, to * cols, cols);
                }
            }
        }
        return out;
    }

    /** The transpose of a row-major {@code rows x cols} matrix. */
    static float[] transpose(float[] m, int rows, int cols) {
        float[] out = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = m[r * cols + c];
            }
        }
        return out;
    }
}
