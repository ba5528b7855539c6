package io.peft4j.cli;

import io.peft4j.core.Printable;
import io.peft4j.diffusion.ConvertReport;
import io.peft4j.diffusion.DiffusionConverter;
import io.peft4j.diffusion.DiffusionLora;
import io.peft4j.diffusion.Layout;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j convert IN --to peft|diffusers|kohya --out OUT [--lossy]}: rewrites an
 * image-generation LoRA (Stable Diffusion 1.x/2.x, SDXL) in another key layout, factors byte for
 * byte and alpha per module exactly; refuses what the target cannot hold unless {@code --lossy}.
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert an image-generation LoRA between the kohya, diffusers and PEFT layouts (exactly, or refuse).")
final class ConvertCommand implements Callable<Integer> {

    @Parameters(paramLabel = "IN", description = "A kohya or diffusers .safetensors file, a folder holding one, or a PEFT layout folder.")
    Path in;

    @Option(names = "--to", required = true, paramLabel = "LAYOUT", description = "peft, diffusers or kohya.")
    String to;

    @Option(names = "--out", required = true, paramLabel = "OUT",
            description = "kohya: a .safetensors file; diffusers: a .safetensors file or a folder; peft: a folder.")
    Path out;

    @Mixin
    OverwriteOption overwrite;

    @Option(names = "--lossy", description = "Write even what the target cannot hold exactly (each loss is reported).")
    boolean lossy;

    @Option(names = "--layers-per-block", paramLabel = "N", defaultValue = "2",
            description = "The UNet's layers_per_block, for SDXL files with sd-scripts' block names (default: ${DEFAULT-VALUE}).")
    int layersPerBlock;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        ConvertReport report = DiffusionConverter.convert(in, Layout.parse(to), out, lossy, layersPerBlock, overwrite.overwrite);
        report.losses().forEach(l -> spec.commandLine().getErr().println("peft4j convert: lossy: " + Printable.of(l)));
        if (!report.notes().isEmpty()) {
            spec.commandLine().getErr().printf(Locale.ROOT, "peft4j convert: note: diffusers 0.42.1 reads %d module(s) of %s"
                    + " otherwise than the file means; the output means what the input meant (peft4j inspect %s lists them)%n",
                    report.notes().size(), in, in);
        }
        String components = report.components().entrySet().stream()
                .sorted(java.util.Map.Entry.comparingByKey())
                .map(e -> e.getKey().shortName() + " " + e.getValue())
                .collect(Collectors.joining(", "));
        spec.commandLine().getOut().printf(Locale.ROOT, "converted %s (%s; %s modules) to %s: %s%n", in,
                report.from().cliName(), components, report.to().cliName(), report.out());
        return 0;
    }

    /** Whether {@code path} is an image-generation LoRA rather than an LLM adapter or a model. */
    static boolean isDiffusionLora(Path path) {
        return DiffusionLora.looksLike(path);
    }
}
