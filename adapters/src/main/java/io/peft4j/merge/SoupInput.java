package io.peft4j.merge;

import io.peft4j.peft.LoraModule;
import java.util.List;

/**
 * One input of {@link LoraSoup#combine}: LoRA modules from any source, keyed by their module names
 * (modules of the same name in several inputs are combined).
 *
 * @param label   names the input in messages (a directory or file)
 * @param modules the modules
 * @param rank    the input's rank {@code r} (PEFT's new rank is computed from these)
 */
public record SoupInput(String label, List<LoraModule> modules, int rank) {

    /** Copies the module list. */
    public SoupInput {
        modules = List.copyOf(modules);
    }

    /** An input whose rank is its largest module rank. */
    public static SoupInput of(String label, List<LoraModule> modules) {
        return new SoupInput(label, modules, modules.stream().mapToInt(LoraModule::rank).max().orElse(0));
    }
}
