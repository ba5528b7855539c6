package io.peft4j.cli;

import io.peft4j.Peft;
import io.peft4j.core.Printable;
import io.peft4j.extract.ExtractException;
import io.peft4j.extract.ExtractListener;
import io.peft4j.extract.ExtractOptions;
import io.peft4j.extract.ExtractReport;
import io.peft4j.extract.ModuleExtraction;
import io.peft4j.extract.ModuleSelection;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j extract --base BASE --tuned TUNED --out DIR [--rank R] [--energy F] ...}: a LoRA
 * adapter from a fine-tuned model; {@code peft4j extract --from-adapter DIR --out DIR ...}: an
 * adapter (DoRA, rsLoRA with patterns, a soup) re-factored into a plain LoRA.
 */
@Command(name = "extract", mixinStandardHelpOptions = true,
        description = {"Extract a LoRA adapter from a fine-tuned model (TUNED - BASE per linear module, truncated SVD).",
            "With --from-adapter: re-factor an adapter (DoRA, rsLoRA, soup) into a plain LoRA of a chosen rank or energy."})
final class ExtractCommand implements Callable<Integer> {

    private static final int SHOWN = 40;

    @Option(names = "--base", paramLabel = "DIR|HUB_ID",
            description = "Base model: a directory (safetensors, sharded or not) or a Hub id. With --from-adapter only for DoRA.")
    String base;

    @Option(names = "--tuned", paramLabel = "DIR|HUB_ID", description = "The fine-tuned (or merged) model, same architecture as the base.")
    String tuned;

    @Option(names = "--from-adapter", paramLabel = "DIR|HUB_ID", description = "Re-factor this adapter instead of extracting from models.")
    String fromAdapter;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Adapter directory to create.")
    Path out;

    @Option(names = "--rank", paramLabel = "R", defaultValue = "" + ExtractOptions.DEFAULT_RANK,
            description = "Largest rank of any module (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--energy", paramLabel = "F",
            description = "Per module, the smallest rank keeping fraction F (e.g. 0.9) of the update's squared Frobenius norm, at most --rank.")
    Double energy;

    @Option(names = "--targets", paramLabel = "SPEC", defaultValue = "all-linear",
            description = "all-linear (default), module names (q_proj,v_proj) or a regular expression over the whole module name.")
    String targets;

    @Option(names = "--modules-to-save", paramLabel = "M[,M...]", split = ",",
            description = "Modules saved whole from TUNED (e.g. embed_tokens,lm_head after a vocabulary change).")
    List<String> modulesToSave = List.of();

    @Option(names = "--exclude", paramLabel = "REGEX", description = "Modules never extracted (regular expression over the whole name).")
    String exclude;

    @Option(names = "--exact", description = "Full SVD per module instead of the randomized range finder (slow; for checking).")
    boolean exact;

    @Option(names = "--oversampling", paramLabel = "P", defaultValue = "10", description = "Extra sketch columns (default: ${DEFAULT-VALUE}).")
    int oversampling;

    @Option(names = "--power-iterations", paramLabel = "Q", defaultValue = "2", description = "Power iterations (default: ${DEFAULT-VALUE}).")
    int powerIterations;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random sketches (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", paramLabel = "N", description = "Modules decomposed at once (default: the CPU count).")
    Integer threads;

    @Option(names = "--uniform-rank", description = "Pad every module to the largest rank: no rank_pattern (vLLM refuses patterns).")
    boolean uniformRank;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Option(names = "--all", description = "List every module (the table shows the " + SHOWN + " with the largest error).")
    boolean all;

    @Mixin
    OverwriteOption overwrite;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ExtractOptions.Builder options;
        if (fromAdapter != null) {
            if (tuned != null) {
                throw new ExtractException("give --tuned or --from-adapter, not both");
            }
            options = ExtractOptions.fromAdapter(HubIds.resolve(fromAdapter), out);
            if (base != null) {
                options.base(HubIds.resolve(base));
            }
        } else {
            if (base == null || tuned == null) {
                throw new ExtractException("needs --base and --tuned (or --from-adapter DIR)");
            }
            options = ExtractOptions.fromModels(HubIds.resolve(base), HubIds.resolve(tuned), out).baseModelName(base);
        }
        options.maxRank(rank).targets(ModuleSelection.parse(targets)).modulesToSave(modulesToSave).exact(exact)
                .oversampling(oversampling).powerIterations(powerIterations).seed(seed).uniformRank(uniformRank)
                .overwrite(overwrite.overwrite);
        if (energy != null) {
            options.energy(energy);
        }
        if (exclude != null) {
            options.exclude(exclude);
        }
        if (threads != null) {
            options.threads(threads);
        }
        ExtractReport report;
        if (System.console() != null && !json) {
            try (ProgressBar bar = new ProgressBar("extract", 1)) {
                report = Peft.extract(options.listener((module, done, total) -> {
                    bar.maxHint(total);
                    bar.stepTo(done);
                }).build());
            }
        } else {
            report = Peft.extract(options.listener(ExtractListener.NONE).build());
        }
        PrintWriter o = spec.commandLine().getOut();
        if (json) {
            o.println(DeltaStatsText.json(report));
        } else {
            print(o, report);
        }
        report.warnings().forEach(w -> spec.commandLine().getErr().println("peft4j extract: warning: " + w));
        return 0;
    }

    private void print(PrintWriter o, ExtractReport r) {
        List<ModuleExtraction> rows = r.modules().stream()
                .sorted((x, y) -> Double.compare(y.relativeError(), x.relativeError()))
                .limit(all ? Long.MAX_VALUE : SHOWN).toList();
        int width = Math.max(6, rows.stream().mapToInt(m -> m.module().length()).max().orElse(6));
        o.printf(Locale.ROOT, "%-" + width + "s  %11s  %4s  %8s  %9s  %10s%n", "module", "shape", "rank", "energy", "rel.error", "||delta||");
        for (ModuleExtraction m : rows) {
            o.printf(Locale.ROOT, "%-" + width + "s  %11s  %4d  %7.2f%%  %9.2e  %10.4g%n", Printable.of(m.module()), m.rows() + "x" + m.cols(),
                    m.rank(), 100 * m.energyKept(), m.relativeError(), m.deltaNorm());
        }
        if (rows.size() < r.modules().size()) {
            o.printf("... %d more modules (--all lists them)%n", r.modules().size() - rows.size());
        }
        o.printf(Locale.ROOT, "extracted %d module(s) into %s: r=%d, %s parameters, %s; %s%n", r.modules().size(), r.out(), r.rank(),
                Sizes.count(r.parameters()), Sizes.bytes(r.bytes()), r.method());
        o.printf(Locale.ROOT, "relative error: %.3e overall, %.3e at most (||delta - B@A|| / ||delta||); %.1f s%n",
                r.relativeError(), r.maxRelativeError(), r.seconds());
        if (!r.unchanged().isEmpty()) {
            o.printf("unchanged (identical in both models, not written): %d module(s), e.g. %s%n", r.unchanged().size(), r.unchanged().getFirst());
        }
        if (!r.modulesToSave().isEmpty()) {
            o.printf("saved whole: %s%n", String.join(", ", r.modulesToSave()));
        }
    }
}
