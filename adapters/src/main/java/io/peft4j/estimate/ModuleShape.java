package io.peft4j.estimate;

/**
 * A module LoRA can adapt: its full name in {@code named_modules()}, its kind and its sizes.
 *
 * <p>For every kind, a LoRA adapter of rank r adds {@code r * (inFeatures + outFeatures)}
 * parameters ({@code lora_A} and {@code lora_B}; for an embedding, {@code lora_embedding_A [r, num]}
 * and {@code lora_embedding_B [dim, r]}), and DoRA adds a magnitude vector of {@code outFeatures}.
 *
 * @param name        module name, e.g. {@code model.layers.0.self_attn.q_proj}
 * @param kind        linear, GPT-2 Conv1D (weight stored {@code [in, out]}) or embedding
 * @param inFeatures  input features (for an embedding: the number of embeddings)
 * @param outFeatures output features (for an embedding: the embedding dimension)
 * @param input       which activation feeds the module, for the activation model
 */
public record ModuleShape(String name, Kind kind, long inFeatures, long outFeatures, Input input) {

    /** The module types PEFT's LoRA handles that peft4j's shape tables produce. */
    public enum Kind {
        /** {@code torch.nn.Linear}: weight {@code [out, in]}. */
        LINEAR,
        /** GPT-2's {@code Conv1D}: weight {@code [in, out]} ({@code fan_in_fan_out}). */
        CONV1D,
        /** {@code torch.nn.Embedding}: weight {@code [num, dim]}. */
        EMBEDDING
    }

    /** Which activation tensor a module reads; modules reading the same one share its memory. */
    public enum Input {
        /** The normed hidden state entering attention (q/k/v projections). */
        ATTENTION_IN,
        /** The attention output entering the output projection. */
        ATTENTION_OUT,
        /** The normed hidden state entering the MLP (gate/up or first projection). */
        MLP_IN,
        /** The MLP intermediate entering its down projection. */
        MLP_OUT,
        /** Anything outside the repeated layers (embeddings, heads, projections, pooler). */
        OTHER
    }

    /** True for the linear kinds ({@code Linear} and {@code Conv1D}) that {@code all-linear} selects. */
    public boolean isLinear() {
        return kind != Kind.EMBEDDING;
    }
}
