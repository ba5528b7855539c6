package io.peft4j.cli;

import io.peft4j.GenerateOptions;
import io.peft4j.Generation;
import io.peft4j.Peft;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code peft4j generate}: text from a base model with zero, one or several adapters. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a base model plus adapters (several LoRA adapters are summed, optionally weighted).")
public final class GenerateCommand implements Callable<Integer> {

    /** Created by picocli. */
    public GenerateCommand() {}

    @Spec
    CommandSpec spec;

    @Option(names = "--base", required = true, paramLabel = "DIR", description = "Base model directory.")
    Path base;

    @Option(names = "--adapter", paramLabel = "DIR", description = "Adapter directory; repeat to combine several.")
    List<Path> adapters = List.of();

    @Option(names = "--weights", split = ",", paramLabel = "W", description = "One weight per adapter (default: 1 each).")
    List<Double> weights = List.of();

    @Option(names = "--prompt", required = true, description = "The prompt.")
    String prompt;

    @Option(names = "--chat", description = "Wrap the prompt as a user turn with the tokenizer's chat template.")
    boolean chat;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 for greedy decoding (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus sampling threshold (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--top-k", defaultValue = "0", description = "Sample among the k likeliest tokens; 0: no limit (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        GenerateOptions options = GenerateOptions.defaults().withMaxNewTokens(maxNewTokens)
                .withSampling(temperature, topP, topK, seed).withChat(chat).withWeights(weights);
        Generation generation = Peft.generate(base, adapters, prompt, options);
        spec.commandLine().getOut().println(generation.text());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
