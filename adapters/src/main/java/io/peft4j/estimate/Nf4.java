package io.peft4j.estimate;

/**
 * The storage of one weight quantized to 4-bit NF4 by bitsandbytes 0.50 (as QLoRA does), exactly as
 * {@code Params4bit} and its {@code QuantState} lay it out:
 *
 * <ul>
 *   <li>data: two 4-bit codes per byte, {@code ceil(n/2)} bytes (0.5 byte per weight);</li>
 *   <li>single quantization: one fp32 absmax per block of 64 weights ({@code 32/64 = 0.5} bit per
 *       weight) and the 16-entry fp32 NF4 code;</li>
 *   <li>double quantization (QLoRA's "DQ"): the absmax values are themselves quantized to 8 bits
 *       (one byte per block, {@code 8/64 = 0.125} bit per weight) with one fp32 second-level absmax
 *       per 256 blocks ({@code 32/(64*256) = 0.002} bit) plus an fp32 offset and the 256-entry fp32
 *       8-bit code; in all about 0.127 bit per weight, as the QLoRA paper (Dettmers et al. 2023, §3)
 *       states.</li>
 * </ul>
 */
final class Nf4 {

    static final long BLOCK = 64;
    static final long NESTED_BLOCK = 256;
    private static final long NF4_CODE_BYTES = 16 * 4;
    private static final long NESTED_CODE_BYTES = 256 * 4;

    private Nf4() {}

    /** Bytes used by one quantized weight of {@code numel} elements. */
    static long bytes(long numel, boolean doubleQuant) {
        long blocks = Optimizer.ceilDiv(numel, BLOCK);
        long data = Optimizer.ceilDiv(numel, 2);
        if (!doubleQuant) {
            return data + 4 * blocks + NF4_CODE_BYTES;
        }
        return data + blocks + 4 + NF4_CODE_BYTES + 4 * Optimizer.ceilDiv(blocks, NESTED_BLOCK) + NESTED_CODE_BYTES;
    }
}
