package io.peft4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.peft4j.Peft;
import io.peft4j.core.Printable;
import io.peft4j.diffusion.DiffusionInspection;
import io.peft4j.inspect.AdapterStats;
import io.peft4j.inspect.DeltaStatistics;
import io.peft4j.inspect.Inspection;
import io.peft4j.inspect.Inspector;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j inspect PATH [--json] [--stats]}: every tensor of a {@code .safetensors} file, a sharded model
 * directory, an adapter directory or a GGUF file, with totals and metadata; for adapters also the configuration
 * summary (method, rank, alpha, scaling per module, targets, trainable parameters, base model); for
 * an image-generation LoRA (kohya, diffusers or PEFT layout) its layout, components, ranks and alphas.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show the tensors and metadata of a .safetensors file, a sharded model, a PEFT adapter directory"
                + " or a GGUF file; for an image-generation LoRA its layout, components, ranks and alphas.")
final class InspectCommand implements Callable<Integer> {

    @Parameters(paramLabel = "PATH", description = "A .safetensors file, a model directory, an index .json, an adapter directory, or a .gguf file.")
    Path path;

    @Option(names = "--json", description = "Print one JSON object instead of the human summary.")
    boolean json;

    @Option(names = "--all", description = "List every tensor (the human summary shows the first 40).")
    boolean all;

    @Option(names = "--stats", description = "For an adapter: per module the norm of s*B@A, its effective rank and the ranks holding 90%%/99%% of its energy.")
    boolean stats;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (stats) {
            AdapterStats s = DeltaStatistics.of(path);
            spec.commandLine().getOut().print(json ? DeltaStatsText.json(s) + "\n"
                    : new DeltaStatsText(all ? Integer.MAX_VALUE : 40).render(s));
            return 0;
        }
        var out = spec.commandLine().getOut();
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        mapper.getFactory().setCharacterEscapes(Printable.jsonEscapes());
        if (ConvertCommand.isDiffusionLora(path)) {
            DiffusionInspection lora = Peft.inspectDiffusionLora(path);
            out.print(json ? mapper.writeValueAsString(lora) + "\n" : new DiffusionText(all ? Integer.MAX_VALUE : 40).render(lora));
            return 0;
        }
        Inspection inspection = Inspector.inspect(path);
        if (json) {
            out.println(mapper.writeValueAsString(inspection));
        } else {
            out.print(new InspectionText(all ? Integer.MAX_VALUE : 40).render(inspection));
        }
        return 0;
    }
}
