package io.peft4j.cli;

import io.peft4j.Peft;
import io.peft4j.diffusion.Layout;
import io.peft4j.merge.LoraSoup;
import io.peft4j.merge.MajoritySign;
import io.peft4j.merge.SoupMethod;
import io.peft4j.merge.SoupOptions;
import io.peft4j.merge.SoupReport;
import io.peft4j.merge.WeightedAdapter;
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
 * {@code peft4j soup --method M --adapter DIR:WEIGHT... --out DIR [--rank N] [--density D]
 * [--majority-sign total|frequency] [--seed S]}: combines adapters into a new PEFT adapter with the
 * semantics of PEFT's {@code add_weighted_adapter}, or ZipLoRA. Image-generation LoRAs (kohya,
 * diffusers or PEFT layout, mixed freely) are souped the same way and written in {@code --to}'s layout.
 */
@Command(name = "soup", mixinStandardHelpOptions = true,
        description = "Combine LoRA adapters into one PEFT adapter (add_weighted_adapter methods, or ziplora).")
final class SoupCommand implements Callable<Integer> {

    @Option(names = "--method", required = true, paramLabel = "M",
            description = "linear, cat, svd, ties, ties_svd, dare_linear, dare_ties, dare_linear_svd, dare_ties_svd,"
                    + " magnitude_prune, magnitude_prune_svd or ziplora.")
    String method;

    @Option(names = "--adapter", required = true, paramLabel = "DIR[:WEIGHT]", description = "Input adapter (a directory or Hub id; or an image-generation LoRA file) with its weight (repeatable).")
    List<String> adapters;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Adapter directory to create (image-generation LoRAs: see --to).")
    Path out;

    @Mixin
    OverwriteOption overwrite;

    @Option(names = "--rank", paramLabel = "N", description = "Rank of *svd results (default: the largest input rank).")
    Integer rank;

    @Option(names = "--density", paramLabel = "D", description = "Fraction of values kept by ties, dare_* and magnitude_prune*.")
    Double density;

    @Option(names = "--majority-sign", paramLabel = "total|frequency", defaultValue = "total",
            description = "TIES sign election (default: ${DEFAULT-VALUE}).")
    String majoritySign;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of DARE's random pruning (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--lambda", paramLabel = "L", defaultValue = "0.01", description = "ZipLoRA overlap penalty (default: ${DEFAULT-VALUE}).")
    double lambda;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "100", description = "ZipLoRA Adam steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--to", paramLabel = "LAYOUT",
            description = "Image-generation LoRAs: the output layout, peft, diffusers or kohya (default: the first input's).")
    String to;

    @Option(names = "--calibration", paramLabel = "FILE",
            description = "ZipLoRA: safetensors of input activations per module ([n, in], named like the module), one per adapter in order.")
    List<Path> calibration;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        SoupOptions.Builder options = SoupOptions.builder(SoupMethod.parse(method), out)
                .adapters(adapters.stream().map(WeightedAdapter::parse).map(HubIds::resolve).toList())
                .majoritySign(MajoritySign.parse(majoritySign))
                .seed(seed)
                .lambda(lambda)
                .steps(steps)
                .overwrite(overwrite.overwrite);
        if (rank != null) {
            options.rank(rank);
        }
        if (density != null) {
            options.density(density);
        }
        if (calibration != null) {
            calibration.forEach(file -> options.calibration(SoupOptions.readCalibration(file)));
        }
        long start = System.nanoTime();
        List<WeightedAdapter> inputs = options.build().adapters();
        boolean diffusion = inputs.stream().anyMatch(a -> ConvertCommand.isDiffusionLora(a.directory()));
        if (to != null && !diffusion) {
            throw new io.peft4j.merge.MergeException("--to applies to image-generation LoRAs; these inputs are PEFT adapters");
        }
        SoupReport report = diffusion ? Peft.soupDiffusion(options.build(), to == null ? null : Layout.parse(to))
                : LoraSoup.soup(options.build());
        report.warnings().forEach(w -> spec.commandLine().getErr().println("peft4j soup: warning: " + w));
        var text = spec.commandLine().getOut();
        text.printf(Locale.ROOT, "%s soup of %d adapter(s) written to %s: r = lora_alpha = %d, %d modules, %.1f s%n",
                report.method().cliName(), adapters.size(), report.out(), report.rank(), report.modules(),
                (System.nanoTime() - start) / 1e9);
        if (report.method() == SoupMethod.ZIPLORA) {
            text.printf(Locale.ROOT, "ziplora objective: %.4f for the plain sum, %.4f merged%n", report.initialLoss(), report.finalLoss());
            DiffusionCommands.printZipLayers(text, report);
        }
        return 0;
    }
}
