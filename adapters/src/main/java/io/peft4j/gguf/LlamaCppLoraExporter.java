package io.peft4j.gguf;

import io.peft4j.peft.AdapterConfig;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraModule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Writes a PEFT LoRA adapter as the GGUF adapter llama.cpp loads ({@code llama-cli --lora},
 * Ollama's {@code ADAPTER}): the file llama.cpp's {@code convert_lora_to_gguf.py} writes for the
 * same adapter, in Java, reading only the base model's {@code config.json}.
 *
 * <ul>
 *   <li>Metadata: {@code general.architecture}, {@code general.type = adapter},
 *       {@code adapter.type = lora}, {@code general.name} (the adapter directory's name),
 *       {@code adapter.lora.alpha} (float32, the config's {@code lora_alpha}),
 *       {@code adapter.alora.invocation_tokens} for activated LoRA, and
 *       {@code general.quantization_version = 2}. (The converter also copies descriptive keys
 *       from the adapter's model card, {@code general.base_model.*} and {@code general.tags};
 *       llama.cpp does not read them and peft4j does not write them.)</li>
 *   <li>Tensors: {@code <llama.cpp name of the base weight>.lora_a} and {@code .lora_b} per module,
 *       in the converter's order (by tensor name); {@code lora_a} is A ({@code [r, in]}),
 *       {@code lora_b} is B ({@code [out, r]}) with the rows of q and k permuted as llama.cpp's
 *       Llama converter permutes the base weight; for the token embedding {@code lora_a} is
 *       A transposed ({@code [vocab, r]}).</li>
 *   <li>Scaling: llama.cpp scales every module by {@code alpha / r} with the module's own rank
 *       (so {@code rank_pattern} needs nothing) and the single {@code adapter.lora.alpha}. Where
 *       PEFT scales a module otherwise (rsLoRA's {@code alpha / sqrt(r)}, an {@code alpha_pattern}
 *       entry) B is multiplied by {@code s * r / alpha} so that llama.cpp reproduces PEFT's
 *       scaling; all other factors are written untouched. (The converter ignores
 *       {@code use_rslora} and {@code alpha_pattern}; peft4j's files are right for them.)</li>
 *   <li>GPT-2's Conv1D layers: llama.cpp's converter transposes the base weight to
 *       {@code [out, in]} and also "transposes" the LoRA pair, which swaps A and B, so its files
 *       for GPT-2 are refused by llama.cpp (or wrong, for square layers); peft4j writes A and B as
 *       for a linear layer, which llama.cpp applies correctly.</li>
 * </ul>
 */
public final class LlamaCppLoraExporter {

    /** {@code general.quantization_version} as the converter writes it ({@code GGML_QUANT_VERSION}). */
    static final long QUANTIZATION_VERSION = 2;

    private LlamaCppLoraExporter() {
    }

    /**
     * Exports the adapter in {@code adapterDir} to {@code out}.
     *
     * @param base the base model's directory or {@code config.json}; null for the adapter's
     *             {@code base_model_name_or_path} when that is a local directory
     * @throws LlamaCppException if llama.cpp cannot hold the adapter (saying what to do instead)
     * @throws io.peft4j.core.Peft4jException if a file cannot be read or written
     */
    public static GgufExport export(Path adapterDir, Path base, Path out, GgufOutType outType) {
        AdapterConfig config = AdapterConfig.read(adapterDir);
        if (!config.peftType().equals("LORA")) {
            throw new LlamaCppException(adapterDir + ": peft_type " + config.peftType() + " is not LoRA; llama.cpp loads only LoRA adapters");
        }
        BaseModelConfig baseConfig = BaseModelConfig.resolve(base, config.baseModelNameOrPath());
        try (LoraAdapter adapter = LoraAdapter.load(adapterDir)) {
            List<String> problems = LlamaCppCompatibility.problems(adapter, baseConfig);
            if (!problems.isEmpty()) {
                throw new LlamaCppException(adapterDir + ": llama.cpp cannot hold this adapter: " + String.join("; ", problems));
            }
            float alpha = (float) config.loraAlpha();
            GgufWriter writer = new GgufWriter()
                    .put(LlamaCppCompatibility.ARCHITECTURE_KEY, GgufValue.string(baseConfig.architecture().ggufName()))
                    .put(LlamaCppCompatibility.TYPE_KEY, GgufValue.string("adapter"))
                    .put(LlamaCppCompatibility.ADAPTER_TYPE_KEY, GgufValue.string("lora"))
                    .put("general.name", GgufValue.string(adapterDir.toAbsolutePath().normalize().getFileName().toString()));
            List<Long> invocation = invocationTokens(config);
            if (!invocation.isEmpty()) {
                writer.put("adapter.alora.invocation_tokens", GgufValue.array(GgufValueType.UINT32, invocation));
            }
            writer.put(LlamaCppCompatibility.ALPHA_KEY, GgufValue.float32(alpha))
                    .put("general.quantization_version", GgufValue.uint32(QUANTIZATION_VERSION));
            List<String> folded = new ArrayList<>();
            List<LoraModule> modules = new ArrayList<>(adapter.modules());
            modules.sort(Comparator.comparing(m -> m.loraA().name()));
            int fallbacks = 0;
            for (LoraModule m : modules) {
                fallbacks += addModule(writer, m, baseConfig, alpha, outType, folded);
            }
            writer.write(out);
            return new GgufExport(out, baseConfig.architecture(), alpha, 2 * modules.size(), outType, fallbacks, folded);
        }
    }

    /**
     * Adds a module's two factors (computed when the file is written, one tensor at a time), and
     * the module to {@code folded} if its scaling is folded into B; returns how many of the two
     * fall back from Q8_0 to F16.
     */
    private static int addModule(GgufWriter writer, LoraModule m, BaseModelConfig base, float alpha, GgufOutType outType, List<String> folded) {
        LlamaCppArchitecture.Target target = base.architecture().target(m.moduleName()).orElseThrow();
        int rank = m.rank();
        long[] aShape = m.loraA().shape();
        long[] bShape = m.loraB().shape();
        float factor = (float) (alpha == 0f ? m.scaling() : m.scaling() * rank / alpha);
        if (factor != 1f) {
            folded.add(m.moduleName());
        }
        boolean embedding = target.role() == LlamaCppArchitecture.Role.EMBEDDING;
        long[] loraAShape = embedding ? new long[] {aShape[1], rank} : aShape;
        GgmlType aType = outType.typeFor(loraAShape[1]);
        GgmlType bType = outType.typeFor(bShape[1]);
        writer.tensor(target.weight() + LlamaCppCompatibility.LORA_A, loraAShape, aType, () -> embedding
                ? FactorLayout.transpose(m.loraA().toFloatArray(), rank, Math.toIntExact(aShape[1])) : m.loraA().toFloatArray());
        writer.tensor(target.weight() + LlamaCppCompatibility.LORA_B, bShape, bType, () -> loraB(m, base, target, factor));
        return (aType == outType.type() ? 0 : 1) + (bType == outType.type() ? 0 : 1);
    }

    /** B scaled by {@code factor} (unless 1), rows permuted as llama.cpp permutes q and k. */
    private static float[] loraB(LoraModule m, BaseModelConfig base, LlamaCppArchitecture.Target target, float factor) {
        float[] b = m.loraB().toFloatArray();
        if (factor != 1f) {
            for (int i = 0; i < b.length; i++) {
                b[i] *= factor;
            }
        }
        int rows = Math.toIntExact(m.loraB().shape()[0]);
        if (base.architecture().permutesQk() && target.role() == LlamaCppArchitecture.Role.QUERY) {
            return FactorLayout.permute(b, rows, m.rank(), base.heads());
        }
        if (base.architecture().permutesQk() && target.role() == LlamaCppArchitecture.Role.KEY) {
            return FactorLayout.permute(b, rows, m.rank(), base.kvHeads());
        }
        return b;
    }

    /** PEFT's {@code alora_invocation_tokens} (activated LoRA), empty when absent. */
    private static List<Long> invocationTokens(AdapterConfig config) {
        List<Long> tokens = new ArrayList<>();
        config.field("alora_invocation_tokens").filter(n -> n.isArray()).ifPresent(n -> n.forEach(t -> tokens.add(t.asLong())));
        return tokens;
    }
}
