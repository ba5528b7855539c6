package io.peft4j.merge;

/**
 * Progress of a merge, told after each block of output (a few MB) is written. Calls come from the
 * merge's worker threads but never at the same time, so a listener needs no locking of its own.
 */
@FunctionalInterface
public interface MergeListener {

    /** A listener that ignores everything. */
    MergeListener NONE = progress -> {};

    /** Another block was written; {@code progress} says how far the merge is. */
    void progress(Progress progress);

    /**
     * How far a merge is.
     *
     * @param tensor      the tensor a block of which was just written
     * @param tensorsDone tensors complete so far
     * @param tensors     tensors in the output
     * @param bytesDone   bytes of tensor data written so far
     * @param bytes       bytes of tensor data in the output
     */
    record Progress(String tensor, int tensorsDone, int tensors, long bytesDone, long bytes) {}
}
