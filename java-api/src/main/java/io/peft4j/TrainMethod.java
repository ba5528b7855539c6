package io.peft4j;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** A parameter-efficient fine-tuning method, named as on the command line and in PEFT. */
public enum TrainMethod {
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
    PROMPT_TUNING("prompt_tuning");

    private final String id;

    TrainMethod(String id) {
        this.id = id;
    }

    /** The name PEFT and the CLI use, e.g. {@code "qlora"}. */
    public String id() {
        return id;
    }

    /** Whether the method trains low-rank matrices, so rank, alpha, dropout and targets apply. */
    public boolean isLowRank() {
        return this != IA3 && this != PROMPT_TUNING;
    }

    /**
     * The method named {@code name} (case-insensitive).
     *
     * @throws TrainConfigException naming the known methods when none matches
     */
    public static TrainMethod parse(String name) {
        for (TrainMethod method : values()) {
            if (method.id.equals(name.toLowerCase(Locale.ROOT))) {
                return method;
            }
        }
        throw new TrainConfigException("unknown method '" + name + "'; known: "
                + Arrays.stream(values()).map(TrainMethod::id).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return id;
    }
}
