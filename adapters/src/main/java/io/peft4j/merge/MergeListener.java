package io.peft4j.merge;

/** Progress of a merge, told after each output tensor is written. */
@FunctionalInterface
public interface MergeListener {

    /** A listener that ignores everything. */
    MergeListener NONE = (name, done, total) -> {};

    /** Tensor {@code name} was written; {@code done} of {@code total} tensors are. */
    void tensorWritten(String name, int done, int total);
}
