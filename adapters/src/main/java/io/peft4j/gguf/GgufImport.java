package io.peft4j.gguf;

import java.nio.file.Path;

/**
 * What {@link LlamaCppLoraImporter#importAdapter} wrote.
 *
 * @param directory the PEFT adapter directory
 * @param architecture the llama.cpp architecture of the GGUF file
 * @param modules the number of LoRA modules
 * @param rank the adapter's {@code r} (modules of other ranks are in {@code rank_pattern})
 * @param alpha its {@code lora_alpha}
 */
public record GgufImport(Path directory, LlamaCppArchitecture architecture, int modules, int rank, double alpha) {
}
