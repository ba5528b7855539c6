package io.peft4j.merge;

/** How TIES elects the sign of each element across the pruned task tensors. */
public enum MajoritySign {
    /** The sign of the sum of the values (PEFT's {@code "total"}, the default). */
    TOTAL,
    /** The sign held by more tensors (PEFT's {@code "frequency"}). */
    FREQUENCY;

    /** Parses {@code total} or {@code frequency}, case-insensitively. */
    public static MajoritySign parse(String name) {
        for (MajoritySign m : values()) {
            if (m.name().equalsIgnoreCase(name)) {
                return m;
            }
        }
        throw new MergeException("unknown majority sign method '" + name + "' (use total or frequency)");
    }
}
