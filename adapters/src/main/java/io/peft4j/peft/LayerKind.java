package io.peft4j.peft;

/**
 * The kinds of base layer PEFT puts LoRA on, each with its own weight layout and delta formula
 * ({@code get_delta_weight} in {@code peft/tuners/lora/layer.py}).
 */
public enum LayerKind {
    /** {@code nn.Linear}: weight {@code [out, in]}, delta {@code s * B @ A}. */
    LINEAR,
    /** GPT-2's {@code Conv1D} ({@code fan_in_fan_out}): weight {@code [in, out]}, delta {@code (s * B @ A)^T}. */
    CONV1D,
    /** {@code nn.Embedding}: weight {@code [vocab, dim]}, {@code lora_embedding_A [r, vocab]}, {@code B [dim, r]}, delta {@code (s * B @ A)^T}. */
    EMBEDDING,
    /** {@code nn.Conv2d}: weight {@code [out, in, kh, kw]}, {@code delta[o,i,h,w] = s * sum_r B[o,r] * A[r,i,h,w]}. */
    CONV2D
}
