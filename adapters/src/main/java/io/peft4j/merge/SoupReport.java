package io.peft4j.merge;

import java.nio.file.Path;
import java.util.List;

/**
 * What a soup produced.
 *
 * @param out          the adapter directory written
 * @param method       the method used (PEFT uses {@code linear} for a single input, and so does this)
 * @param rank         the rank {@code r} of the result ({@code lora_alpha} is the same)
 * @param modules      LoRA modules written
 * @param initialLoss  ZipLoRA: the objective summed over layers at the plain sum (m = 1); 0 otherwise
 * @param finalLoss    ZipLoRA: the objective summed over layers after optimisation; 0 otherwise
 * @param warnings     things the user should know (e.g. that a single adapter was combined linearly), one line each
 * @param layers       ZipLoRA: the objective and column overlap per layer; empty otherwise
 */
public record SoupReport(Path out, SoupMethod method, int rank, int modules, double initialLoss, double finalLoss,
                         List<String> warnings, List<ZipLoraLayer> layers) {

    /** Copies the lists. */
    public SoupReport {
        warnings = List.copyOf(warnings);
        layers = List.copyOf(layers);
    }
}
