package io.peft4j.estimate;

import io.peft4j.tuning.Targets;
import java.util.List;
import java.util.Map;

/**
 * The modules a {@link Targets} choice selects in a model, matched exactly as PEFT 0.21 matches
 * {@code target_modules}; PEFT's default targets come from its per-{@code model_type} table.
 */
final class TargetSelection {

    /** PEFT's default {@code target_modules} per model_type, used when none are given. */
    static final Map<String, List<String>> PEFT_DEFAULTS = Map.of(
            "llama", List.of("q_proj", "v_proj"), "mistral", List.of("q_proj", "v_proj"),
            "qwen2", List.of("q_proj", "v_proj"), "qwen3", List.of("q_proj", "v_proj"),
            "gemma", List.of("q_proj", "v_proj"), "gemma2", List.of("q_proj", "v_proj"),
            "phi", List.of("q_proj", "v_proj", "fc1", "fc2"), "gpt2", List.of("c_attn"),
            "opt", List.of("q_proj", "v_proj"), "bert", List.of("query", "value"));

    private TargetSelection() {}

    /** {@code targets} with PEFT's default replaced by the names it stands for in this model type. */
    static Targets resolve(Targets targets, String modelType) {
        if (targets instanceof Targets.PeftDefault) {
            // Phi-3 has no entry in PEFT's table: its fused projections
            return Targets.names(PEFT_DEFAULTS.getOrDefault(modelType, List.of("qkv_proj")));
        }
        return targets;
    }

    /** The modules of {@code model} the targets select; none is an error, as in PEFT. */
    static List<ModuleShape> select(Targets targets, ModelShapes model) {
        Targets resolved = resolve(targets, model.architecture().modelType());
        List<ModuleShape> selected = model.modules().stream().filter(m -> matches(resolved, m, model)).toList();
        if (selected.isEmpty()) {
            throw new EstimateException("target modules " + resolved.describe() + " match no linear or embedding module of "
                    + model.architecture().modelType() + " (e.g. " + model.modules().get(1).name() + ")");
        }
        return selected;
    }

    private static boolean matches(Targets targets, ModuleShape module, ModelShapes model) {
        return switch (targets) {
            case Targets.Names names -> names.matches(module.name());
            case Targets.Regex regex -> regex.matches(module.name());
            case Targets.AllLinear all -> module.isLinear() && !module.name().equals(model.outputHead());
            case Targets.PeftDefault none -> throw new IllegalStateException("resolved above");
        };
    }
}
