package io.peft4j.gguf;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link LlamaCppLoraExporter#export} wrote.
 *
 * @param file the GGUF file
 * @param architecture its llama.cpp architecture
 * @param alpha its {@code adapter.lora.alpha}
 * @param tensors the number of tensors ({@code lora_a} and {@code lora_b} per module)
 * @param outType the requested tensor type
 * @param f16Fallbacks tensors written as F16 instead of Q8_0 (rows not a multiple of 32, as the converter does)
 * @param foldedModules the modules whose scaling (rsLoRA, rank/alpha patterns) was folded into B
 */
public record GgufExport(Path file, LlamaCppArchitecture architecture, float alpha, int tensors, GgufOutType outType,
                         int f16Fallbacks, List<String> foldedModules) {

    /** Copies the list. */
    public GgufExport {
        foldedModules = List.copyOf(foldedModules);
    }
}
