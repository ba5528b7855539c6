package io.peft4j.estimate;

/**
 * Whether a training run fits a GPU, and how many GPUs it takes if not.
 *
 * @param gpu            the GPU
 * @param fits           the whole peak fits one GPU
 * @param fitsWithPaging it fits once paged optimizer states spill to CPU RAM
 * @param gpusNeeded     GPUs needed with the model state (weights, gradients, optimizer states)
 *                       sharded evenly across them (FSDP full sharding / ZeRO-3) and activations,
 *                       logits and overhead on each; 1 when it fits; 0 when even one GPU's
 *                       activations and overhead exceed its memory (reduce batch or sequence,
 *                       or turn on gradient checkpointing)
 */
public record Fit(Gpu gpu, boolean fits, boolean fitsWithPaging, int gpusNeeded) {

    /** Checks {@code memory} against {@code gpu}. */
    public static Fit of(MemoryBreakdown memory, Gpu gpu) {
        long capacity = gpu.memoryBytes();
        boolean fits = memory.total() <= capacity;
        boolean paging = memory.total() - memory.pageable() <= capacity;
        if (fits) {
            return new Fit(gpu, true, true, 1);
        }
        long perGpu = memory.activations() + memory.logits() + memory.overhead();
        long room = capacity - perGpu;
        int needed = room <= 0 ? 0 : (int) Math.max(2, Optimizer.ceilDiv(memory.modelState(), room));
        return new Fit(gpu, false, paging, needed);
    }
}
