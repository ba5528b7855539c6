package io.peft4j.cli;

import io.peft4j.gguf.GgufExport;
import io.peft4j.gguf.GgufOutType;
import io.peft4j.gguf.LlamaCppLoraExporter;
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
 * {@code peft4j export --format gguf ADAPTER --out FILE.gguf [--outtype f32|f16|bf16|q8_0]
 * [--base DIR]}: a PEFT LoRA adapter as the GGUF adapter llama.cpp, Ollama and LM Studio load,
 * as llama.cpp's {@code convert_lora_to_gguf.py} writes it, in Java.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export a PEFT LoRA adapter for llama.cpp / Ollama (GGUF), as llama.cpp's convert_lora_to_gguf.py does.")
final class ExportCommand implements Callable<Integer> {

    /** The formats peft4j exports to. */
    enum Format { gguf }

    @Option(names = "--format", required = true, paramLabel = "FORMAT", description = "The output format: ${COMPLETION-CANDIDATES}.")
    Format format;

    @Parameters(paramLabel = "ADAPTER", description = "A PEFT LoRA adapter directory.")
    Path adapter;

    @Option(names = "--out", required = true, paramLabel = "FILE.gguf", description = "The GGUF file to write.")
    Path out;

    @Option(names = "--outtype", defaultValue = "f32", paramLabel = "f32|f16|bf16|q8_0",
            description = "Tensor type (default: ${DEFAULT-VALUE}, as the converter); q8_0 falls back to f16 for rows not a multiple of 32, as the converter does.")
    String outType;

    @Option(names = "--base", paramLabel = "DIR", description = "The base model's directory or its config.json, for the tensor names "
            + "(default: the adapter's base_model_name_or_path, when that is a local directory). No weights are read.")
    Path base;

    @Mixin
    OverwriteOption overwrite;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        GgufOutType type;
        try {
            type = GgufOutType.parse(outType);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--outtype: " + e.getMessage());
        }
        GgufExport export = LlamaCppLoraExporter.export(adapter, base, out, type, overwrite.overwrite);
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s: llama.cpp LoRA adapter for %s, %d tensors (%s%s), alpha %s%s%n",
                export.file(), export.architecture().ggufName(), export.tensors(), outType.toLowerCase(Locale.ROOT),
                export.f16Fallbacks() == 0 ? "" : "; " + export.f16Fallbacks() + " in f16, their rows not a multiple of 32",
                trim(export.alpha()),
                export.foldedModules().isEmpty() ? ""
                        : ", PEFT's per-module scaling folded into " + export.foldedModules().size() + " module(s)");
        return 0;
    }

    private static String trim(float v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
