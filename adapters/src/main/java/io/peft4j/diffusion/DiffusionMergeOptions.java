package io.peft4j.diffusion;

import io.peft4j.merge.MergeListener;
import io.peft4j.merge.WeightedAdapter;
import io.peft4j.safetensors.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What {@link DiffusionMerger#merge} does. Build with {@link #builder(Path, Path)}.
 *
 * @param model        the diffusers model folder ({@code model_index.json}, {@code unet/}, {@code text_encoder/}, ...)
 * @param loras        the LoRAs (any layout), merged in this order, each with its weight
 * @param out          the model folder to create; must not exist or be empty
 * @param dtype        the output dtype of the merged components' floating-point tensors; empty keeps the model's
 * @param maxShardSize the largest shard in bytes
 * @param listener     told after each tensor of a merged component is written
 * @param allowNonFinite write merged weights even where a LoRA makes them NaN or infinite (refused by default)
 * @param overwrite    whether an existing, non-empty {@code out} is replaced (see {@link io.peft4j.output.OutputPolicy})
 */
public record DiffusionMergeOptions(Path model, List<WeightedAdapter> loras, Path out, Optional<DType> dtype,
                                    long maxShardSize, MergeListener listener, boolean allowNonFinite, boolean overwrite) {

    /** diffusers' default {@code max_shard_size}: 10GB. */
    public static final long DEFAULT_MAX_SHARD_SIZE = 10_000_000_000L;

    /** Checks the options. */
    public DiffusionMergeOptions {
        loras = List.copyOf(loras);
        if (loras.isEmpty()) {
            throw new DiffusionFormatException("merge needs at least one LoRA");
        }
        if (maxShardSize <= 0) {
            throw new DiffusionFormatException("max shard size must be positive");
        }
        dtype.ifPresent(d -> {
            if (d != DType.F32 && d != DType.BF16 && d != DType.F16) {
                throw new DiffusionFormatException("output dtype must be bf16, f16 or f32, not " + d.safetensorsName());
            }
        });
    }

    /** Starts options merging into the model folder {@code model}, writing {@code out}. */
    public static Builder builder(Path model, Path out) {
        return new Builder(model, out);
    }

    /** Builder of {@link DiffusionMergeOptions}. */
    public static final class Builder {
        private final Path model;
        private final Path out;
        private final List<WeightedAdapter> loras = new ArrayList<>();
        private DType dtype;
        private long maxShardSize = DEFAULT_MAX_SHARD_SIZE;
        private MergeListener listener = MergeListener.NONE;
        private boolean allowNonFinite;
        private boolean overwrite;

        private Builder(Path model, Path out) {
            this.model = model;
            this.out = out;
        }

        /** Adds a LoRA (a file or folder in any layout) with a weight multiplying its update. */
        public Builder lora(Path path, double weight) {
            loras.add(new WeightedAdapter(path, weight));
            return this;
        }

        /** Adds LoRAs with their weights. */
        public Builder loras(List<WeightedAdapter> more) {
            loras.addAll(more);
            return this;
        }

        /** Converts the merged components' floating-point tensors to this dtype. */
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

        /** Writes NaN or infinite merged weights instead of refusing them (as PEFT's {@code safe_merge} does). */
        public Builder allowNonFinite(boolean value) {
            this.allowNonFinite = value;
            return this;
        }

        /** Replaces an existing, non-empty output folder instead of refusing it (default: refuse). */
        public Builder overwrite(boolean value) {
            this.overwrite = value;
            return this;
        }

        /** The options. */
        public DiffusionMergeOptions build() {
            return new DiffusionMergeOptions(model, loras, out, Optional.ofNullable(dtype), maxShardSize, listener,
                    allowNonFinite, overwrite);
        }
    }
}
