package io.peft4j.serving;

import java.nio.file.Path;
import java.util.List;

/**
 * The outcome of {@link VllmCompatibility#check}.
 *
 * @param adapter the adapter directory checked
 * @param rank the adapter's largest rank (its {@code r}, or a larger {@code lora_A} row count)
 * @param maxLoraRank the {@code --max-lora-rank} checked against
 * @param problems one line per reason vLLM would refuse the adapter; empty when it can be served
 */
public record VllmReport(Path adapter, int rank, int maxLoraRank, List<String> problems) {

    /** Copies the problems. */
    public VllmReport {
        problems = List.copyOf(problems);
    }

    /** Whether vLLM's multi-LoRA serving loads the adapter as it is. */
    public boolean servable() {
        return problems.isEmpty();
    }
}
