package io.peft4j.tuning;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A fine-tuning method, named as on the command line and in PEFT. {@code Peft.train} trains every
 * method but {@link #FULL}; the estimator covers {@link #FULL}, {@link #LORA}, {@link #QLORA},
 * {@link #DORA} and {@link #RSLORA}.
 */
public enum TrainMethod {
    /** Every parameter trained (estimates only: peft4j trains adapters). */
    FULL("full"),
    /** Low-rank adaptation: {@code W + (alpha/r) B A} on the target modules. */
    LORA("lora"),
    /** LoRA on a base loaded in 4-bit NF4 with double quantization (bitsandbytes). */
    QLORA("qlora"),
    /** Weight-decomposed LoRA: a learned magnitude per output row on top of LoRA's direction. */
    DORA("dora"),
    /** LoRA scaled by {@code alpha/sqrt(r)}, stable at high ranks. */
    RSLORA("rslora"),
    /** LoRA with SVD-shaped updates whose ranks are pruned towards the target rank during training. */
    ADALORA("adalora"),
    /** (IA)^3: learned scaling vectors on keys, values and feed-forward inputs. */
    IA3("ia3"),
    /** Soft prompt: trained virtual-token embeddings prepended to every input. */
    PROMPT_TUNING("prompt_tuning"),
    /**
     * Direct preference optimization (TRL's DPOTrainer) with a LoRA-kind adapter (LoRA by default, or
     * QLoRA, DoRA, rsLoRA), on {@code {"prompt","chosen","rejected"}} records; the reference model is the
     * base with the adapter switched off.
     */
    DPO("dpo");

    private final String id;

    TrainMethod(String id) {
        this.id = id;
    }

    /** The name PEFT, the CLI and the Python bridge use, e.g. {@code "qlora"}. */
    @JsonValue
    public String id() {
        return id;
    }

    /** Whether the method trains an adapter on a frozen base (every method but {@link #FULL}). */
    public boolean isAdapter() {
        return this != FULL;
    }

    /** Whether the method trains low-rank matrices, so rank, alpha, dropout and targets apply. */
    public boolean isLowRank() {
        return this != FULL && this != IA3 && this != PROMPT_TUNING;
    }

    /** Whether the adapter is a LoRA adapter PEFT can merge and DPO can train. */
    public boolean isLoraKind() {
        return this == LORA || this == QLORA || this == DORA || this == RSLORA;
    }

    /**
     * The transformers optimizer a run of this method uses unless one is named: paged 8-bit AdamW for
     * QLoRA (as in the QLoRA paper), {@code adamw_torch} otherwise.
     */
    public String defaultOptimizer() {
        return this == QLORA ? "paged_adamw_8bit" : "adamw_torch";
    }

    /**
     * The method named {@code name} (case-insensitive).
     *
     * @throws SettingException naming the known methods when none matches
     */
    @JsonCreator
    public static TrainMethod parse(String name) {
        String wanted = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        for (TrainMethod method : values()) {
            if (method.id.equals(wanted)) {
                return method;
            }
        }
        throw new SettingException("unknown method '" + name + "'; known: "
                + Arrays.stream(values()).map(TrainMethod::id).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return id;
    }
}
