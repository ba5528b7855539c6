package io.peft4j.diffusion;

import java.nio.file.Path;

/** Runs one diffusion merge: {@code MODEL LORA OUT MAX_SHARD_BYTES}; {@link DiffusionMergerTest} starts it in a JVM with a small heap. */
public final class HeapLimitedDiffusionMerge {

    private HeapLimitedDiffusionMerge() {}

    /** Merges {@code args[1]} into the model folder {@code args[0]}, writing {@code args[2]} in shards of at most {@code args[3]} bytes. */
    public static void main(String[] args) {
        DiffusionMerger.merge(DiffusionMergeOptions.builder(Path.of(args[0]), Path.of(args[2])).lora(Path.of(args[1]), 1.0)
                .maxShardSize(Long.parseLong(args[3])).build());
    }
}
