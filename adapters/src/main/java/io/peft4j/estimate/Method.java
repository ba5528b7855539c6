package io.peft4j.estimate;

import java.util.Locale;

/** How the model is fine-tuned. */
public enum Method {
    /** Every parameter trained. */
    FULL,
    /** Frozen base in the compute dtype, LoRA adapters trained. */
    LORA,
    /** Frozen base with linear weights in 4-bit NF4 (bitsandbytes), LoRA adapters trained. */
    QLORA,
    /** Like LoRA, plus DoRA's magnitude vector per adapted module. */
    DORA;

    /** True for the methods that train an adapter instead of the model. */
    public boolean usesAdapter() {
        return this != FULL;
    }

    /** Parses {@code full|lora|qlora|dora}. */
    public static Method parse(String value) {
        try {
            return valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new EstimateException("method '" + value + "' is not one of full, lora, qlora, dora", e);
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
