package io.peft4j.estimate;

/**
 * Peak training memory of one device, in bytes, by component.
 *
 * @param weights         model weights (quantized or not) plus adapter weights
 * @param gradients       gradients of the trained parameters
 * @param optimizerStates optimizer states of the trained parameters
 * @param activations     tensors kept for backward by the blocks, embeddings and final norm
 * @param logits          the output logits and the loss's fp32 copies of them, often the largest activation
 * @param overhead        CUDA context, kernels and allocator slack, a constant
 * @param pageable        the part of {@code optimizerStates} in paged memory that can spill to CPU RAM
 */
public record MemoryBreakdown(long weights, long gradients, long optimizerStates, long activations, long logits,
                              long overhead, long pageable) {

    /** The peak: every component at once. */
    public long total() {
        return weights + gradients + optimizerStates + activations + logits + overhead;
    }

    /** Model state: weights, gradients and optimizer states (what FSDP/ZeRO-3 shards across GPUs). */
    public long modelState() {
        return weights + gradients + optimizerStates;
    }
}
