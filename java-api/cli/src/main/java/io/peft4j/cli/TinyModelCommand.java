package io.peft4j.cli;

import io.peft4j.TinyModel;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code peft4j tiny-model}: writes a tiny random-weight Llama (hidden 64, 2 layers) with a real
 * byte-level BPE tokenizer and chat template, for trying training offline in seconds.
 */
@Command(name = "tiny-model", mixinStandardHelpOptions = true,
        description = "Write a tiny random-weight Llama and tokenizer (for demos and tests; no download).")
public final class TinyModelCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Model directory to write.")
    Path out;

    @Mixin
    OverwriteOption overwrite;

    @Option(names = "--init-range", defaultValue = "0.2", paramLabel = "STD",
            description = "Std of the random weights (default: ${DEFAULT-VALUE}; transformers' 0.02 leaves a 64-wide"
                    + " model's predictions nearly uniform, so little of what it learns shows).")
    double initRange;

    @Option(names = "--seed", defaultValue = "0", description = "Weight seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        Path dir = TinyModel.llama().seed(seed).initializerRange(initRange).write(out, overwrite.overwrite);
        spec.commandLine().getOut().println("tiny model: " + dir);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
