package io.peft4j.cli;

import io.peft4j.core.Printable;
import io.peft4j.gguf.LlamaCppCompatibility;
import io.peft4j.gguf.LlamaCppReport;
import io.peft4j.serving.VllmCompatibility;
import io.peft4j.serving.VllmReport;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code peft4j validate --for vllm|llama.cpp ADAPTER [--max-lora-rank N] [--base DIR]}: whether a
 * serving engine loads the adapter as it is (for llama.cpp: once exported to GGUF, or a GGUF file
 * itself); one line per problem, exit code 1 when there is any.
 */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check an adapter against a serving engine's limits (vLLM multi-LoRA, llama.cpp / Ollama).")
final class ValidateCommand implements Callable<Integer> {

    /** The serving engines checked, by the name given to {@code --for}. */
    enum Engine {
        VLLM("vllm"), LLAMA_CPP("llama.cpp");

        final String label;

        Engine(String label) {
            this.label = label;
        }
    }

    /** Reads {@code vllm} or {@code llama.cpp}. */
    static final class EngineConverter implements ITypeConverter<Engine> {
        @Override
        public Engine convert(String value) {
            for (Engine e : Engine.values()) {
                if (e.label.equals(value)) {
                    return e;
                }
            }
            throw new TypeConversionException("'" + value + "' is not an engine peft4j checks (vllm, llama.cpp)");
        }
    }

    @Option(names = "--for", required = true, paramLabel = "ENGINE", converter = EngineConverter.class,
            description = "The serving engine: vllm or llama.cpp (also Ollama and LM Studio, which run llama.cpp).")
    Engine engine;

    @Parameters(paramLabel = "ADAPTER", description = "A PEFT adapter directory (for llama.cpp also a GGUF adapter file).")
    Path adapter;

    @Option(names = "--max-lora-rank", defaultValue = "" + VllmCompatibility.DEFAULT_MAX_LORA_RANK, paramLabel = "N",
            description = "vLLM's --max-lora-rank: 1, 8, 16, 32, 64, 128, 256, 320 or 512 (default: ${DEFAULT-VALUE}, vLLM's default).")
    int maxLoraRank;

    @Option(names = "--base", paramLabel = "DIR", description = "llama.cpp: the base model's directory or config.json (default for an "
            + "adapter directory: its base_model_name_or_path when local; a GGUF file is then checked without it).")
    Path base;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        List<String> problems;
        if (engine == Engine.VLLM) {
            VllmReport report = VllmCompatibility.check(adapter, maxLoraRank);
            if (report.servable()) {
                spec.commandLine().getOut().printf("%s: vLLM can serve it (rank %d, --max-lora-rank %d)%n",
                        adapter, report.rank(), report.maxLoraRank());
                return 0;
            }
            problems = report.problems();
        } else {
            LlamaCppReport report = LlamaCppCompatibility.check(adapter, base);
            if (report.loadable()) {
                spec.commandLine().getOut().printf("%s: llama.cpp can load it%s%n", adapter,
                        java.nio.file.Files.isDirectory(adapter) ? " once exported (peft4j export --format gguf)" : "");
                return 0;
            }
            problems = report.problems();
        }
        var err = spec.commandLine().getErr();
        problems.forEach(problem -> err.println(Printable.of(adapter + ": " + problem)));
        return Main.EXIT_FAILURE;
    }
}
