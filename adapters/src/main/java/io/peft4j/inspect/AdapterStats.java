package io.peft4j.inspect;

import java.util.List;

/**
 * Statistics of every LoRA module of an adapter ({@code peft4j inspect --stats}).
 *
 * @param adapter   the adapter directory
 * @param threshold how the effective rank counts singular values
 * @param modules   one row per module, in file order
 * @param norm      {@code sqrt(sum ||delta||_F^2)} over all modules
 */
public record AdapterStats(String adapter, String threshold, List<ModuleStats> modules, double norm) {

    /** Copies the list. */
    public AdapterStats {
        modules = List.copyOf(modules);
    }
}
