package io.peft4j.estimate;

/**
 * The sizes of a transformer that the activation model needs, read from its config.
 *
 * @param modelType           transformers' {@code model_type}
 * @param layers              number of repeated blocks
 * @param hidden              hidden size h
 * @param queryDim            attention width, heads x head_dim
 * @param keyValueDim         key/value width, kv_heads x head_dim (smaller than queryDim with GQA)
 * @param intermediate        MLP intermediate size i
 * @param logitsWidth         width of the LM head's output (the vocabulary), 0 for encoders without a head
 * @param normsPerLayer       normalisations per block (2 for Llama, 4 for Gemma 2, 1 for Phi)
 * @param rmsNorm             true for RMSNorm (transformers upcasts its input to fp32), false for LayerNorm
 * @param qkNorm              true when queries and keys are normalised per head (Qwen3, Phi with qk_layernorm)
 * @param mlpInternals        MLP tensors of width i kept for backward besides the down projection's
 *                            input (3 for gated SiLU/GELU: gate, up, activation; 4 for GPT-2's
 *                            composite gelu_new; 1 for a fused GELU; 0 for ReLU)
 * @param mlpOutAlwaysKept    true when the activation itself keeps the down projection's input (ReLU)
 */
public record Architecture(String modelType, long layers, long hidden, long queryDim, long keyValueDim,
                           long intermediate, long logitsWidth, int normsPerLayer, boolean rmsNorm,
                           boolean qkNorm, int mlpInternals, boolean mlpOutAlwaysKept) {
}
