package io.peft4j.gguf;

import io.peft4j.peft.AdapterConfig;
import io.peft4j.peft.LayerKind;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraModule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What llama.cpp can load as a LoRA adapter, in one place: the checks {@code peft4j export
 * --format gguf} refuses on and {@code peft4j validate --for llama.cpp} reports.
 *
 * <p>A PEFT adapter converts when it is plain LoRA (rsLoRA and rank/alpha patterns are fine: they
 * are folded into the factors) on modules llama.cpp has a tensor for. llama.cpp cannot hold DoRA
 * magnitudes, {@code modules_to_save} (whole trained tensors), {@code lora_bias}, Conv2d layers,
 * replicated layers, or, where the base's output head is its token embedding (GPT-2, Gemma,
 * tied Llama and Qwen), a LoRA on the head or on the embedding.
 *
 * <p>A GGUF file loads as llama.cpp's {@code llama_adapter_lora_init} requires
 * ({@code src/llama-adapter.cpp}): {@code general.type = adapter}, {@code adapter.type = lora},
 * {@code adapter.lora.alpha} a FLOAT32, every tensor a {@code .lora_a}/{@code .lora_b} of a pair with
 * matching ranks (norm vectors are skipped by llama.cpp and allowed), and with a base config, its
 * architecture and tensor names.
 */
public final class LlamaCppCompatibility {

    static final String ALPHA_KEY = "adapter.lora.alpha";
    static final String TYPE_KEY = "general.type";
    static final String ADAPTER_TYPE_KEY = "adapter.type";
    static final String ARCHITECTURE_KEY = "general.architecture";
    static final String LORA_A = ".lora_a";
    static final String LORA_B = ".lora_b";
    /** The types llama.cpp's CPU backend multiplies LoRA factors in (and peft4j decodes). */
    private static final Set<GgmlType> FACTOR_TYPES = GgmlCodec.FLOAT_TYPES;

    private LlamaCppCompatibility() {
    }

    /**
     * Checks {@code path}, a PEFT adapter directory or a GGUF adapter file, against llama.cpp.
     *
     * @param base the base model's directory or {@code config.json}; for an adapter directory, null
     *             means its {@code base_model_name_or_path}; for a GGUF file, null skips the
     *             checks against the base
     * @throws io.peft4j.core.Peft4jException if the path is not a readable adapter or GGUF file
     */
    public static LlamaCppReport check(Path path, Path base) {
        if (Files.isRegularFile(path)) {
            try (GgufFile file = GgufFile.open(path)) {
                return new LlamaCppReport(path, problems(file, base == null ? null : BaseModelConfig.read(base)));
            }
        }
        AdapterConfig config = AdapterConfig.read(path);
        if (!config.peftType().equals("LORA")) {
            return new LlamaCppReport(path, List.of("peft_type " + config.peftType() + ": llama.cpp loads only LoRA adapters"));
        }
        BaseModelConfig baseConfig = BaseModelConfig.resolve(base, config.baseModelNameOrPath());
        try (LoraAdapter adapter = LoraAdapter.load(path)) {
            return new LlamaCppReport(path, problems(adapter, baseConfig));
        }
    }

    /** Every reason llama.cpp cannot hold {@code adapter} on {@code base}; empty when it converts. */
    static List<String> problems(LoraAdapter adapter, BaseModelConfig base) {
        AdapterConfig config = adapter.config();
        List<String> problems = new ArrayList<>();
        String merge = "merge the adapter into the base instead (peft4j merge) and convert the merged model with llama.cpp's convert_hf_to_gguf.py";
        if (config.useDora()) {
            problems.add("use_dora: llama.cpp has no DoRA magnitude vectors; " + merge + ", or train plain LoRA");
        }
        if (!config.modulesToSave().isEmpty() || !adapter.replacements().isEmpty()) {
            List<String> saved = config.modulesToSave().isEmpty() ? List.copyOf(adapter.replacements().keySet()) : config.modulesToSave();
            problems.add("modules_to_save " + saved + ": llama.cpp adapters hold only LoRA pairs, not whole trained tensors; " + merge);
        }
        if (config.layerReplication().isPresent()) {
            problems.add("layer_replication: llama.cpp's base has no replicated layers; " + merge);
        }
        if (adapter.modules().stream().anyMatch(m -> m.loraBBias().isPresent())) {
            problems.add("lora_bias: llama.cpp adapters have no bias; " + merge);
        }
        List<String> tensorless = new ArrayList<>();
        for (LoraModule m : adapter.modules()) {
            String problem = moduleProblem(m, base);
            if (problem == null) {
                continue;
            }
            if (problem.isEmpty()) {
                tensorless.add(m.moduleName());
            } else {
                problems.add("module " + m.moduleName() + ": " + problem);
            }
        }
        if (!tensorless.isEmpty()) {
            problems.add("module" + (tensorless.size() == 1 ? " " : "s ") + String.join(", ", tensorless) + ": llama.cpp has no tensor for "
                    + (tensorless.size() == 1 ? "it" : "them") + " in architecture " + base.architecture().ggufName()
                    + " (it applies LoRA to the attention and MLP projections, the token embedding and the output head); "
                    + "train without these targets or " + merge);
        }
        return problems;
    }

    /** Null when the module converts, "" when llama.cpp has no tensor for it, else the problem. */
    private static String moduleProblem(LoraModule m, BaseModelConfig base) {
        LlamaCppArchitecture.Target target = base.architecture().target(m.moduleName()).orElse(null);
        if (target == null || m.kind() == LayerKind.CONV2D) {
            return "";
        }
        if (target.layer() >= base.layers()) {
            return "the base model has only " + base.layers() + " layers (" + base.source() + ")";
        }
        boolean embedding = target.role() == LlamaCppArchitecture.Role.EMBEDDING;
        if (embedding != (m.kind() == LayerKind.EMBEDDING)) {
            return "a " + m.kind() + " LoRA, but llama.cpp's " + target.weight() + " is " + (embedding ? "an embedding" : "a projection");
        }
        String tied = tiedHeadProblem(target, base);
        if (tied != null) {
            return tied;
        }
        if (base.architecture().permutesQk() && (target.role() == LlamaCppArchitecture.Role.QUERY || target.role() == LlamaCppArchitecture.Role.KEY)) {
            int heads = target.role() == LlamaCppArchitecture.Role.QUERY ? base.heads() : base.kvHeads();
            if (m.outFeatures() % (2L * heads) != 0) {
                return m.outFeatures() + " output rows do not split into " + heads + " heads of rotary pairs (" + base.source() + ")";
            }
        }
        return null;
    }

    /** Every reason llama.cpp would not load {@code file} as a LoRA adapter (on {@code base}, when given). */
    static List<String> problems(GgufFile file, BaseModelConfig base) {
        List<String> problems = new ArrayList<>();
        Map<String, GgufValue> kv = file.metadata();
        String type = file.string(TYPE_KEY).orElse("");
        if (!type.equals("adapter")) {
            problems.add(TYPE_KEY + " is '" + type + "', not 'adapter': llama.cpp loads it as a model, not a LoRA adapter");
        }
        String adapterType = file.string(ADAPTER_TYPE_KEY).orElse("");
        if (!adapterType.equals("lora")) {
            problems.add(ADAPTER_TYPE_KEY + " is '" + adapterType + "', not 'lora'");
        }
        GgufValue alpha = kv.get(ALPHA_KEY);
        if (alpha != null && alpha.type() != GgufValueType.FLOAT32) {
            problems.add(ALPHA_KEY + " is a " + alpha.type() + "; llama.cpp reads it as a FLOAT32 and aborts on any other type");
        }
        String architecture = file.string(ARCHITECTURE_KEY).orElse("");
        if (architecture.isEmpty()) {
            problems.add(ARCHITECTURE_KEY + " is missing; llama.cpp refuses an adapter whose architecture differs from the model's");
        } else if (base != null && !architecture.equals(base.architecture().ggufName())) {
            problems.add(ARCHITECTURE_KEY + " is '" + architecture + "' but the base (" + base.source() + ") converts as '"
                    + base.architecture().ggufName() + "'");
        }
        Map<String, GgufTensorInfo[]> pairs = new LinkedHashMap<>();
        for (GgufTensorInfo t : file.tensors()) {
            String name = t.name();
            if (name.endsWith(LORA_A) || name.endsWith(LORA_B)) {
                pairs.computeIfAbsent(name.substring(0, name.length() - LORA_A.length()), k -> new GgufTensorInfo[2])[name.endsWith(LORA_A) ? 0 : 1] = t;
            } else if (!name.endsWith("_norm.weight")) {
                problems.add("tensor " + name + ": not a .lora_a or .lora_b tensor; llama.cpp refuses the file");
            }
            if (!FACTOR_TYPES.contains(t.type())) {
                problems.add("tensor " + name + " has type " + t.type() + "; llama.cpp's converter writes LoRA factors only as " + FACTOR_TYPES);
            }
        }
        pairs.forEach((weight, pair) -> {
            String problem = pairProblem(weight, pair[0], pair[1], base);
            if (problem != null) {
                problems.add(weight + ": " + problem);
            }
        });
        return problems;
    }

    private static String pairProblem(String weight, GgufTensorInfo a, GgufTensorInfo b, BaseModelConfig base) {
        if (a == null || b == null) {
            return "has " + (a == null ? "lora_b but no lora_a" : "lora_a but no lora_b");
        }
        long[] ad = a.dimensions();
        long[] bd = b.dimensions();
        if (ad.length != 2 || bd.length != 2) {
            return "lora_a " + Arrays.toString(a.shape()) + " and lora_b " + Arrays.toString(b.shape()) + " must be matrices";
        }
        boolean embedding = weight.equals("token_embd.weight");
        long rankOfA = embedding ? ad[0] : ad[1];
        if (rankOfA != bd[0]) {
            return "lora_a " + Arrays.toString(a.shape()) + " and lora_b " + Arrays.toString(b.shape()) + " disagree on the rank";
        }
        if (base != null) {
            LlamaCppArchitecture.Target target = base.architecture().module(weight).orElse(null);
            if (target == null) {
                return "not a tensor llama.cpp applies LoRA to in architecture " + base.architecture().ggufName();
            }
            if (target.layer() >= base.layers()) {
                return "the base model has only " + base.layers() + " layers (" + base.source() + ")";
            }
            return tiedHeadProblem(target, base);
        }
        return null;
    }

    /**
     * When the output head is the token embedding, llama.cpp's model has no output tensor for a
     * head LoRA, and it looks the embedding's LoRA up for the head too ({@code build_lora_mm} finds
     * the pair by the tensor name {@code token_embd.weight}), where its factors do not fit and
     * llama.cpp aborts ({@code GGML_ASSERT(ggml_can_mul_mat(a, b))}).
     */
    private static String tiedHeadProblem(LlamaCppArchitecture.Target target, BaseModelConfig base) {
        if (!base.tiedEmbeddings()) {
            return null;
        }
        String todo = "; train without it or merge the adapter into the base instead (peft4j merge)";
        return switch (target.role()) {
            case HEAD -> "the base uses its token embedding as the output head, so llama.cpp's model has no output tensor for it" + todo;
            case EMBEDDING -> "the base uses its token embedding as the output head, and llama.cpp applies an embedding LoRA to that "
                    + "head as well, where it does not fit (llama.cpp aborts: GGML_ASSERT ggml_can_mul_mat)" + todo;
            default -> null;
        };
    }
}
