package io.peft4j.gguf;

import io.peft4j.output.OutputDirectory;
import io.peft4j.peft.AdapterConfig;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.TensorSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Turns a llama.cpp LoRA adapter GGUF back into a PEFT adapter directory that
 * {@code PeftModel.from_pretrained} loads, given the base model's {@code config.json} for the
 * names: the inverse of {@link LlamaCppLoraExporter}. Each pair becomes {@code lora_A}/{@code lora_B}
 * (the token embedding's {@code lora_embedding_A}/{@code _B}) of the transformers module, q/k rows
 * un-permuted; {@code r} is the most common rank, other ranks go to {@code rank_pattern}, and
 * {@code lora_alpha} is {@code adapter.lora.alpha}, so PEFT scales each module by
 * {@code alpha / r} as llama.cpp does. F16 and BF16 factors keep their type, F32 and Q8_0 become
 * float32.
 */
public final class LlamaCppLoraImporter {

    private static final String PREFIX = "base_model.model.";

    private LlamaCppLoraImporter() {
    }

    private record Factor(String name, DType dtype, long[] shape, float[] values) {
    }

    /**
     * Imports {@code gguf} into the new directory {@code out}.
     *
     * @param base the base model's directory or its {@code config.json}
     * @throws LlamaCppException if the file is not a llama.cpp LoRA adapter for that base
     * @throws io.peft4j.core.Peft4jException if a file cannot be read or written
     */
    public static GgufImport importAdapter(Path gguf, Path base, Path out) {
        return importAdapter(gguf, base, out, false);
    }

    /**
     * {@link #importAdapter(Path, Path, Path)}, replacing an existing {@code out} when
     * {@code overwrite} (see {@link io.peft4j.output.OutputPolicy}).
     */
    public static GgufImport importAdapter(Path gguf, Path base, Path out, boolean overwrite) {
        BaseModelConfig baseConfig = BaseModelConfig.read(base);
        OutputDirectory.checkFree(out, overwrite, gguf, base);
        try (GgufFile file = GgufFile.open(gguf)) {
            List<String> problems = LlamaCppCompatibility.problems(file, baseConfig);
            file.tensors().stream().filter(t -> t.name().endsWith("_norm.weight")).forEach(t ->
                    problems.add("tensor " + t.name() + ": a norm vector (as mergekit-extract-lora writes), which llama.cpp ignores and a LoRA adapter cannot hold"));
            if (!problems.isEmpty()) {
                throw new LlamaCppException(gguf + ": not a llama.cpp LoRA adapter peft4j can import: " + String.join("; ", problems));
            }
            GgufValue alphaValue = file.metadata().get(LlamaCppCompatibility.ALPHA_KEY);
            double alpha = alphaValue == null ? 0 : (Float) alphaValue.value();
            Map<String, Integer> ranks = new LinkedHashMap<>();
            List<Factor> factors = new ArrayList<>();
            for (GgufTensorInfo a : file.tensors()) {
                if (a.name().endsWith(LlamaCppCompatibility.LORA_A)) {
                    String weight = a.name().substring(0, a.name().length() - LlamaCppCompatibility.LORA_A.length());
                    GgufTensorInfo b = file.find(weight + LlamaCppCompatibility.LORA_B).orElseThrow();
                    LlamaCppArchitecture.Target target = baseConfig.architecture().module(weight).orElseThrow();
                    ranks.put(target.module(), Math.toIntExact(b.dimensions()[0]));
                    factors.addAll(module(file, a, b, target, baseConfig));
                }
            }
            if (ranks.isEmpty()) {
                throw new LlamaCppException(gguf + ": holds no LoRA pair");
            }
            int rank = mostCommon(ranks);
            Map<String, Integer> rankPattern = new LinkedHashMap<>();
            ranks.forEach((module, r) -> {
                if (r != rank) {
                    rankPattern.put(module, r);
                }
            });
            double loraAlpha = alpha == 0 ? rank : alpha;
            Map<String, Double> alphaPattern = new LinkedHashMap<>();
            if (alpha == 0) {
                rankPattern.forEach((module, r) -> alphaPattern.put(module, (double) r));
            }
            AdapterConfig config = AdapterConfig.lora(rank, loraAlpha, List.copyOf(ranks.keySet()))
                    .with("task_type", "CAUSAL_LM")
                    .with("base_model_name_or_path", base.toAbsolutePath().normalize().toString())
                    .with("rank_pattern", rankPattern)
                    .with("alpha_pattern", alphaPattern)
                    .with("fan_in_fan_out", baseConfig.architecture() == LlamaCppArchitecture.GPT2)
                    .with("use_rslora", false)
                    .with("use_dora", false)
                    .with("bias", "none")
                    .with("inference_mode", true);
            write(out, config, factors, overwrite, gguf, base);
            return new GgufImport(out, baseConfig.architecture(), ranks.size(), rank, loraAlpha);
        }
    }

    /** The PEFT factors of one module from its llama.cpp pair. */
    private static List<Factor> module(GgufFile file, GgufTensorInfo a, GgufTensorInfo b, LlamaCppArchitecture.Target target, BaseModelConfig base) {
        long[] aShape = a.shape();
        long[] bShape = b.shape();
        int rank = Math.toIntExact(bShape[1]);
        float[] av = file.floats(a);
        float[] bv = file.floats(b);
        if (base.architecture().permutesQk() && target.role() == LlamaCppArchitecture.Role.QUERY) {
            bv = FactorLayout.unpermute(bv, Math.toIntExact(bShape[0]), rank, base.heads());
        } else if (base.architecture().permutesQk() && target.role() == LlamaCppArchitecture.Role.KEY) {
            bv = FactorLayout.unpermute(bv, Math.toIntExact(bShape[0]), rank, base.kvHeads());
        }
        String module = PREFIX + target.module();
        if (target.role() == LlamaCppArchitecture.Role.EMBEDDING) {
            av = FactorLayout.transpose(av, Math.toIntExact(aShape[0]), rank);
            return List.of(new Factor(module + ".lora_embedding_A", dtype(a), new long[] {rank, aShape[0]}, av),
                    new Factor(module + ".lora_embedding_B", dtype(b), bShape, bv));
        }
        return List.of(new Factor(module + ".lora_A.weight", dtype(a), aShape, av),
                new Factor(module + ".lora_B.weight", dtype(b), bShape, bv));
    }

    private static DType dtype(GgufTensorInfo t) {
        return switch (t.type()) {
            case F16 -> DType.F16;
            case BF16 -> DType.BF16;
            default -> DType.F32;
        };
    }

    /** The rank most modules have (the larger one on a tie). */
    private static int mostCommon(Map<String, Integer> ranks) {
        Map<Integer, Long> counts = ranks.values().stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        return counts.entrySet().stream()
                .max(Comparator.<Map.Entry<Integer, Long>>comparingLong(Map.Entry::getValue).thenComparing(Map.Entry::getKey))
                .orElseThrow()
                .getKey();
    }

    private static void write(Path out, AdapterConfig config, List<Factor> factors, boolean overwrite, Path gguf, Path base) {
        List<TensorSpec> specs = factors.stream().map(f -> new TensorSpec(f.name(), f.dtype(), f.shape())).toList();
        try (OutputDirectory dir = OutputDirectory.create(out, overwrite, gguf, base)) {
            try (SafetensorsWriter writer = SafetensorsWriter.create(dir.path().resolve(LoraAdapter.WEIGHTS_FILE), specs, Map.of("format", "pt"))) {
                factors.forEach(f -> writer.write(f.name(), f.values()));
                writer.commit();
            }
            config.writeTo(dir.path());
            dir.commit();
        }
    }
}
