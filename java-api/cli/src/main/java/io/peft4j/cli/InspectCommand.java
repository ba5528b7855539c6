package io.peft4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.peft4j.inspect.Inspection;
import io.peft4j.inspect.Inspector;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j inspect PATH [--json]}: every tensor of a {@code .safetensors} file, a sharded model
 * directory, an adapter directory or a GGUF file, with totals and metadata; for adapters also the configuration
 * summary (method, rank, alpha, scaling per module, targets, trainable parameters, base model).
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show the tensors and metadata of a .safetensors file, a sharded model, a PEFT adapter directory or a GGUF file.")
final class InspectCommand implements Callable<Integer> {

    @Parameters(paramLabel = "PATH", description = "A .safetensors file, a model directory, an index .json, an adapter directory, or a .gguf file.")
    Path path;

    @Option(names = "--json", description = "Print one JSON object instead of the human summary.")
    boolean json;

    @Option(names = "--all", description = "List every tensor (the human summary shows the first 40).")
    boolean all;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Inspection inspection = Inspector.inspect(path);
        var out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(inspection));
        } else {
            out.print(new InspectionText(all ? Integer.MAX_VALUE : 40).render(inspection));
        }
        return 0;
    }
}
