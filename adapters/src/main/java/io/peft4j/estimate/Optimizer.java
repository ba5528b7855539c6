package io.peft4j.estimate;

import java.util.Locale;

/**
 * The optimizer, which decides the bytes of state kept per trained parameter.
 *
 * <ul>
 *   <li>{@code adamw} ({@code torch.optim.AdamW}): two states in the parameter's dtype: 8 bytes per
 *       fp32 parameter, 4 per 16-bit parameter.</li>
 *   <li>{@code adamw-8bit} (bitsandbytes {@code AdamW8bit}): two uint8 states plus one fp32 absmax per
 *       256-element block each, 2 + 8/256 bytes per parameter; tensors under 4096 elements keep
 *       32-bit states (bitsandbytes' {@code min_8bit_size}).</li>
 *   <li>{@code paged-adamw} / {@code paged-adamw-8bit} (bitsandbytes {@code PagedAdamW32bit} /
 *       {@code PagedAdamW8bit}): the same sizes as the 32-bit (fp32 states, 8 bytes) and 8-bit
 *       variants, in CUDA unified memory that is evicted to CPU RAM under memory pressure, so they
 *       can spill instead of running out of memory (on CPU bitsandbytes does not page).</li>
 *   <li>{@code sgd}: plain SGD without momentum, no state.</li>
 * </ul>
 */
public enum Optimizer {
    /** torch AdamW. */
    ADAMW(false),
    /** bitsandbytes AdamW8bit. */
    ADAMW_8BIT(false),
    /** bitsandbytes PagedAdamW32bit. */
    PAGED_ADAMW(true),
    /** bitsandbytes PagedAdamW8bit. */
    PAGED_ADAMW_8BIT(true),
    /** SGD without momentum. */
    SGD(false);

    /** bitsandbytes keeps 32-bit states for tensors smaller than this ({@code min_8bit_size}). */
    static final long MIN_8BIT_SIZE = 4096;
    /** bitsandbytes' block size for 8-bit optimizer states. */
    static final long BLOCK = 256;

    private final boolean paged;

    Optimizer(boolean paged) {
        this.paged = paged;
    }

    /** True when the states live in paged (evictable) memory. */
    public boolean paged() {
        return paged;
    }

    /** Bytes of optimizer state for one trained tensor of {@code numel} elements stored in {@code paramBytes}. */
    public long stateBytes(long numel, int paramBytes) {
        return switch (this) {
            case ADAMW -> 2 * numel * paramBytes;
            case PAGED_ADAMW -> 8 * numel;
            case ADAMW_8BIT, PAGED_ADAMW_8BIT -> numel < MIN_8BIT_SIZE
                    ? 8 * numel
                    : 2 * numel + 2 * 4 * ceilDiv(numel, BLOCK);
            case SGD -> 0;
        };
    }

    /** Parses {@code adamw|adamw-8bit|paged-adamw|paged-adamw-8bit|sgd} (underscores also accepted). */
    public static Optimizer parse(String value) {
        try {
            return valueOf(value.strip().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new EstimateException("optimizer '" + value
                    + "' is not one of adamw, adamw-8bit, paged-adamw, paged-adamw-8bit, sgd", e);
        }
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
