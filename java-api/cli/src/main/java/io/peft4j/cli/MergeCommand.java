package io.peft4j.cli;

import io.peft4j.core.Printable;
import io.peft4j.merge.BaseMerger;
import io.peft4j.merge.MergeException;
import io.peft4j.merge.MergeOptions;
import io.peft4j.merge.MergeReport;
import io.peft4j.merge.WeightedAdapter;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.ShardedSafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j merge --base DIR --adapter DIR[:WEIGHT]... --out DIR [--dtype bf16|f16|f32]
 * [--max-shard-size 5GB]}: merges adapters into the base weights, streaming in blocks on every
 * core, as PEFT's {@code merge_and_unload} does (bit-identical where torch's kernels sum each delta
 * in peft4j's order; within the error of another order elsewhere); progress as a bar with MB/s on
 * a terminal, as a line per tenth on stderr otherwise ({@link MergeProgress}).
 * A base with {@code model_index.json} is a diffusers model folder: the adapters are then
 * image-generation LoRAs in any layout.
 */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Merge LoRA adapters into a base model's weights (pure Java, PEFT's merge_and_unload).")
final class MergeCommand implements Callable<Integer> {

    @Option(names = "--base", required = true, paramLabel = "DIR|HUB_ID",
            description = "Base model: a directory (safetensors, sharded or not) or a Hub id (owner/name[@revision]).")
    String base;

    @Option(names = "--adapter", required = true, paramLabel = "DIR[:WEIGHT]",
            description = "Adapter directory or Hub id, optionally with a weight multiplying its update (repeatable; applied in order).")
    List<String> adapters;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to create for the merged model.")
    Path out;

    @Mixin
    OverwriteOption overwrite;

    @Option(names = "--dtype", paramLabel = "bf16|f16|f32", description = "Output dtype of floating-point tensors (default: the base's).")
    String dtype;

    @Option(names = "--max-shard-size", paramLabel = "SIZE", defaultValue = "5GB",
            description = "Largest shard, e.g. 5GB, 500MB (default: ${DEFAULT-VALUE}; 10GB for diffusers model folders, as diffusers).")
    String maxShardSize;

    @Option(names = "--allow-non-finite",
            description = "Write merged weights even where an adapter makes them NaN or infinite (refused by default, as PEFT's safe_merge).")
    boolean allowNonFinite;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (Files.isRegularFile(Path.of(base).resolve("model_index.json"))) {
            return DiffusionCommands.merge(spec, Path.of(base), adapters, out, dtype == null ? null : parseDtype(dtype),
                    parseSize(maxShardSize), allowNonFinite, overwrite.overwrite);
        }
        MergeOptions.Builder options = MergeOptions.builder(HubIds.resolve(base), out)
                .adapters(adapters.stream().map(WeightedAdapter::parse).map(HubIds::resolve).toList())
                .maxShardSize(parseSize(maxShardSize))
                .allowNonFinite(allowNonFinite)
                .overwrite(overwrite.overwrite);
        if (dtype != null) {
            options.dtype(parseDtype(dtype));
        }
        long start = System.nanoTime();
        MergeReport report;
        try (MergeProgress progress = MergeProgress.forConsole(spec.commandLine().getErr())) {
            report = BaseMerger.merge(options.listener(progress).build());
        }
        report.warnings().forEach(w -> spec.commandLine().getErr().println("peft4j merge: warning: " + Printable.of(w)));
        spec.commandLine().getOut().printf(Locale.ROOT, "merged %d adapter(s) into %s: %d tensors (%d changed), %d shard(s), %s in %.1f s%n",
                adapters.size(), report.out(), report.tensors(), report.changed(), report.shards(),
                Sizes.bytes(report.bytes()), (System.nanoTime() - start) / 1e9);
        return 0;
    }

    static DType parseDtype(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "bf16", "bfloat16" -> DType.BF16;
            case "f16", "fp16", "float16" -> DType.F16;
            case "f32", "fp32", "float32" -> DType.F32;
            default -> throw new MergeException("--dtype must be bf16, f16 or f32, not '" + name + "'");
        };
    }

    private static long parseSize(String text) {
        try {
            return ShardedSafetensorsWriter.parseSize(text);
        } catch (IllegalArgumentException e) {
            throw new MergeException("--max-shard-size: " + e.getMessage());
        }
    }
}
