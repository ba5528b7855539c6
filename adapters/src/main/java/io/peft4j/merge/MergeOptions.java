package io.peft4j.merge;

import io.peft4j.safetensors.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What {@link BaseMerger#merge} does: which adapters go into which base, where the result goes, in
 * which dtype and shard size. Build with {@link #builder(Path, Path)}.
 *
 * @param base         the base model directory (safetensors, sharded or not)
 * @param adapters     the adapters, merged in this order, each with its weight
 * @param out          the directory to create; must not exist or be empty unless {@code overwrite}
 * @param dtype        the output dtype of floating-point tensors; empty keeps the base's
 * @param maxShardSize the largest shard in bytes (a tensor larger than this gets a shard of its own)
 * @param listener     told after each tensor is written
 * @param allowNonFinite write merged weights even where they are NaN or infinite (refused by default,
 *                     as PEFT's {@code merge(safe_merge=True)} refuses them)
 * @param overwrite    whether an existing, non-empty {@code out} is replaced (see {@link io.peft4j.output.OutputPolicy})
 */
public record MergeOptions(Path base, List<WeightedAdapter> adapters, Path out, Optional<DType> dtype,
                           long maxShardSize, MergeListener listener, boolean allowNonFinite, boolean overwrite) {

    /** transformers' default {@code max_shard_size}: 5GB. */
    public static final long DEFAULT_MAX_SHARD_SIZE = 5_000_000_000L;

    /** Checks the options. */
    public MergeOptions {
        adapters = List.copyOf(adapters);
        if (adapters.isEmpty()) {
            throw new MergeException("merge needs at least one adapter");
        }
        if (maxShardSize <= 0) {
            throw new MergeException("max shard size must be positive");
        }
        dtype.ifPresent(d -> {
            if (d != DType.F32 && d != DType.BF16 && d != DType.F16) {
                throw new MergeException("output dtype must be bf16, f16 or f32, not " + d.safetensorsName());
            }
        });
    }

    /** Starts options merging into {@code base} and writing to {@code out}. */
    public static Builder builder(Path base, Path out) {
        return new Builder(base, out);
    }

    /** Builder of {@link MergeOptions}. */
    public static final class Builder {
        private final Path base;
        private final Path out;
        private final List<WeightedAdapter> adapters = new ArrayList<>();
        private DType dtype;
        private long maxShardSize = DEFAULT_MAX_SHARD_SIZE;
        private MergeListener listener = MergeListener.NONE;
        private boolean allowNonFinite;
        private boolean overwrite;

        private Builder(Path base, Path out) {
            this.base = base;
            this.out = out;
        }

        /** Adds an adapter with weight 1. */
        public Builder adapter(Path directory) {
            return adapter(directory, 1.0);
        }

        /** Adds an adapter with a weight. */
        public Builder adapter(Path directory, double weight) {
            adapters.add(new WeightedAdapter(directory, weight));
            return this;
        }

        /** Adds adapters. */
        public Builder adapters(List<WeightedAdapter> more) {
            adapters.addAll(more);
            return this;
        }

        /** Converts floating-point tensors to this dtype (bf16, f16 or f32). */
        public Builder dtype(DType value) {
            this.dtype = value;
            return this;
        }

        /** Sets the largest shard size in bytes. */
        public Builder maxShardSize(long bytes) {
            this.maxShardSize = bytes;
            return this;
        }

        /** Sets the progress listener. */
        public Builder listener(MergeListener value) {
            this.listener = value;
            return this;
        }

        /**
         * Writes merged weights even where an adapter makes them NaN or infinite (NaN/Inf in its
         * weights, an extreme {@code lora_alpha}); by default such a merge is refused.
         */
        public Builder allowNonFinite(boolean value) {
            this.allowNonFinite = value;
            return this;
        }

        /** Replaces an existing, non-empty output directory instead of refusing it (default: refuse). */
        public Builder overwrite(boolean value) {
            this.overwrite = value;
            return this;
        }

        /** The options. */
        public MergeOptions build() {
            return new MergeOptions(base, adapters, out, Optional.ofNullable(dtype), maxShardSize, listener, allowNonFinite,
                    overwrite);
        }
    }
}
