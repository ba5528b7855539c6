package io.peft4j.cli;

import io.peft4j.core.Printable;
import io.peft4j.serving.VllmCompatibility;
import io.peft4j.serving.VllmReport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j validate --for vllm ADAPTER [--max-lora-rank N]}: whether a serving engine loads the
 * adapter as it is; one line per problem, exit code 1 when there is any.
 */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check an adapter against a serving engine's limits (vLLM multi-LoRA).")
final class ValidateCommand implements Callable<Integer> {

    /** The serving engines checked. */
    enum Engine { vllm }

    @Option(names = "--for", required = true, paramLabel = "ENGINE", description = "The serving engine: ${COMPLETION-CANDIDATES}.")
    Engine engine;

    @Parameters(paramLabel = "ADAPTER", description = "A PEFT adapter directory.")
    Path adapter;

    @Option(names = "--max-lora-rank", defaultValue = "" + VllmCompatibility.DEFAULT_MAX_LORA_RANK, paramLabel = "N",
            description = "vLLM's --max-lora-rank: 1, 8, 16, 32, 64, 128, 256, 320 or 512 (default: ${DEFAULT-VALUE}, vLLM's default).")
    int maxLoraRank;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        VllmReport report = VllmCompatibility.check(adapter, maxLoraRank);
        if (report.servable()) {
            spec.commandLine().getOut().printf("%s: vLLM can serve it (rank %d, --max-lora-rank %d)%n",
                    adapter, report.rank(), report.maxLoraRank());
            return 0;
        }
        var err = spec.commandLine().getErr();
        report.problems().forEach(problem -> err.println(Printable.of(adapter + ": " + problem)));
        return Main.EXIT_FAILURE;
    }
}
