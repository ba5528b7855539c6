package io.peft4j.inspect;

import java.util.List;

/**
 * Two adapters compared module by module ({@code peft4j diff A B}).
 *
 * @param a          the first adapter's statistics
 * @param b          the second adapter's statistics
 * @param shared     the modules both adapt, most different first
 * @param onlyInA    modules only the first adapts
 * @param onlyInB    modules only the second adapts
 * @param cosine     the cosine of the two whole updates (all shared modules as one vector)
 */
public record AdapterDiff(AdapterStats a, AdapterStats b, List<ModuleComparison> shared, List<String> onlyInA,
                          List<String> onlyInB, double cosine) {

    /** Copies the lists. */
    public AdapterDiff {
        shared = List.copyOf(shared);
        onlyInA = List.copyOf(onlyInA);
        onlyInB = List.copyOf(onlyInB);
    }
}
