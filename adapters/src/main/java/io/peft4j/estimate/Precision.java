package io.peft4j.estimate;

import java.util.Locale;

/**
 * The dtype the model is loaded and computed in.
 *
 * <ul>
 *   <li>{@code fp32}: weights, gradients and activations in 4 bytes.</li>
 *   <li>{@code bf16}/{@code fp16}: the model loaded in 16 bits ({@code torch_dtype=bfloat16}):
 *       weights, gradients and activations in 2 bytes; torch's AdamW then keeps its states in 16 bits
 *       too ("pure" 16-bit training).</li>
 *   <li>{@code mixed}: fp32 master weights and gradients, 16-bit autocast compute: 4 bytes of weights
 *       plus a 2-byte autocast copy, 4-byte gradients, 2-byte activations.</li>
 * </ul>
 */
public enum Precision {
    /** 32-bit float everywhere. */
    FP32(4, 4, 0),
    /** bfloat16 weights, gradients and activations. */
    BF16(2, 2, 0),
    /** float16 weights, gradients and activations. */
    FP16(2, 2, 0),
    /** fp32 master weights with 16-bit autocast compute. */
    MIXED(4, 2, 2);

    private final int weightBytes;
    private final int activationBytes;
    private final int castCopyBytes;

    Precision(int weightBytes, int activationBytes, int castCopyBytes) {
        this.weightBytes = weightBytes;
        this.activationBytes = activationBytes;
        this.castCopyBytes = castCopyBytes;
    }

    /** Bytes per stored weight (and per gradient of a trained weight). */
    public int weightBytes() {
        return weightBytes;
    }

    /** Bytes per activation element (the compute dtype). */
    public int activationBytes() {
        return activationBytes;
    }

    /** Bytes per weight of the 16-bit copy autocast makes ({@code mixed} only). */
    public int castCopyBytes() {
        return castCopyBytes;
    }

    /** Parses {@code fp32|bf16|fp16|mixed}. */
    public static Precision parse(String value) {
        try {
            return valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new EstimateException("precision '" + value + "' is not one of fp32, bf16, fp16, mixed", e);
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
