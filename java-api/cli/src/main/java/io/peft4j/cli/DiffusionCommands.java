package io.peft4j.cli;

import io.peft4j.Peft;
import io.peft4j.core.Printable;
import io.peft4j.diffusion.DiffusionMergeOptions;
import io.peft4j.diffusion.DiffusionMergeReport;
import io.peft4j.merge.MergeListener;
import io.peft4j.merge.SoupReport;
import io.peft4j.merge.WeightedAdapter;
import io.peft4j.merge.ZipLoraLayer;
import io.peft4j.safetensors.DType;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;

/** The image-generation branches of {@code peft4j merge} and {@code peft4j soup}. */
final class DiffusionCommands {

    private DiffusionCommands() {}

    /** Merges LoRAs into the diffusers model folder {@code model}. */
    static int merge(CommandSpec spec, Path model, List<String> loras, Path out, DType dtype, long maxShardSize,
                     boolean allowNonFinite, boolean overwrite) {
        long start = System.nanoTime();
        boolean shardSizeGiven = spec.commandLine().getParseResult().hasMatchedOption("--max-shard-size");
        DiffusionMergeOptions.Builder options = DiffusionMergeOptions.builder(model, out)
                .loras(loras.stream().map(WeightedAdapter::parse).map(HubIds::resolve).toList())
                .listener(MergeListener.NONE)
                .allowNonFinite(allowNonFinite)
                .overwrite(overwrite);
        if (dtype != null) {
            options.dtype(dtype);
        }
        if (shardSizeGiven) {
            options.maxShardSize(maxShardSize);
        }
        DiffusionMergeReport report = Peft.mergeDiffusion(options.build());
        report.warnings().forEach(w -> spec.commandLine().getErr().println("peft4j merge: warning: " + Printable.of(w)));
        PrintWriter text = spec.commandLine().getOut();
        report.components().forEach((c, r) -> text.printf(Locale.ROOT, "  %-14s %d tensors (%d changed), %d shard(s), %s%n",
                c.diffusersName(), r.tensors(), r.changed(), r.shards(), Sizes.bytes(r.bytes())));
        text.printf(Locale.ROOT, "merged %d LoRA(s) into %s: %d component(s) changed, %d other file(s) copied, %.1f s%n",
                loras.size(), report.out(), report.components().size(), report.copied(), (System.nanoTime() - start) / 1e9);
        return 0;
    }

    /** ZipLoRA's objective and column overlap per layer. */
    static void printZipLayers(PrintWriter text, SoupReport report) {
        if (report.layers().isEmpty()) {
            return;
        }
        int width = Math.min(80, report.layers().stream().mapToInt(l -> l.module().length()).max().orElse(5));
        String row = "  %-" + width + "s %9s %9s %9s %9s %9s %9s%n";
        text.printf(Locale.ROOT, row, "LAYER", "OBJECTIVE", "OBJECTIVE", "OVERLAP", "OVERLAP", "ALIGNMENT", "ALIGNMENT");
        text.printf(Locale.ROOT, row, "", "sum", "merged", "before", "after", "before", "after");
        for (ZipLoraLayer l : report.layers()) {
            text.printf(Locale.ROOT, "  %-" + width + "s %9.4f %9.4f %9.4f %9.4f %9.4f %9.4f%n", l.module(), l.initialLoss(),
                    l.finalLoss(), l.overlapBefore(), l.overlapAfter(), l.alignmentBefore(), l.alignmentAfter());
        }
        text.println("  (overlap: how much both LoRAs use the same input columns; alignment: |cosine| of their column pairs; 0 to 1)");
    }
}
