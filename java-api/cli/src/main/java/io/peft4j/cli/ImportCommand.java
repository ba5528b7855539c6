package io.peft4j.cli;

import io.peft4j.gguf.GgufImport;
import io.peft4j.gguf.LlamaCppLoraImporter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j import FILE.gguf --base DIR --out ADAPTER}: a llama.cpp LoRA adapter back to a
 * PEFT adapter directory, named after the base model's modules.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Import a llama.cpp LoRA adapter (GGUF) as a PEFT adapter directory.")
final class ImportCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE.gguf", description = "A llama.cpp LoRA adapter.")
    Path gguf;

    @Option(names = "--base", required = true, paramLabel = "DIR",
            description = "The base model's directory or its config.json, for the module names. No weights are read.")
    Path base;

    @Option(names = "--out", required = true, paramLabel = "ADAPTER", description = "The adapter directory to create.")
    Path out;

    @Mixin
    OverwriteOption overwrite;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        GgufImport result = LlamaCppLoraImporter.importAdapter(gguf, base, out, overwrite.overwrite);
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s: PEFT LoRA adapter, %d modules, r=%d, lora_alpha=%s (%s)%n",
                result.directory(), result.modules(), result.rank(),
                result.alpha() == Math.rint(result.alpha()) ? String.valueOf((long) result.alpha()) : String.valueOf(result.alpha()),
                result.architecture().ggufName());
        return 0;
    }
}
