package io.peft4j.estimate;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which modules an adapter targets, matched exactly as PEFT 0.21 matches {@code target_modules}:
 * a list of names matches a module whose full name equals one of them or ends with {@code "." + name};
 * a string is a regular expression that must match the full module name; {@code "all-linear"}
 * selects every linear (and GPT-2 Conv1D) module except the output head.
 */
public sealed interface LoraTargets {

    /** PEFT's default {@code target_modules} per model_type, used when none are given. */
    Map<String, List<String>> PEFT_DEFAULTS = Map.of(
            "llama", List.of("q_proj", "v_proj"), "mistral", List.of("q_proj", "v_proj"),
            "qwen2", List.of("q_proj", "v_proj"), "qwen3", List.of("q_proj", "v_proj"),
            "gemma", List.of("q_proj", "v_proj"), "gemma2", List.of("q_proj", "v_proj"),
            "phi", List.of("q_proj", "v_proj", "fc1", "fc2"), "gpt2", List.of("c_attn"),
            "opt", List.of("q_proj", "v_proj"), "bert", List.of("query", "value"));

    /** True when this target choice selects the module. */
    boolean matches(ModuleShape module, ModelShapes model);

    /** The targets as PEFT's config would show them. */
    String describe();

    /** The modules of {@code model} these targets select; none is an error, as in PEFT. */
    default List<ModuleShape> select(ModelShapes model) {
        List<ModuleShape> selected = model.modules().stream().filter(m -> matches(m, model)).toList();
        if (selected.isEmpty()) {
            throw new EstimateException("target modules " + describe() + " match no linear or embedding module of "
                    + model.architecture().modelType() + " (e.g. " + model.modules().get(1).name() + ")");
        }
        return selected;
    }

    /** A list of module names, matched as suffixes. */
    static LoraTargets names(List<String> names) {
        if (names.isEmpty()) {
            throw new EstimateException("target modules: the list is empty");
        }
        return new Names(List.copyOf(names));
    }

    /** A regular expression matched against full module names. */
    static LoraTargets regex(String regex) {
        try {
            return new Regex(Pattern.compile(regex));
        } catch (PatternSyntaxException e) {
            throw new EstimateException("target modules: invalid regular expression '" + regex + "': "
                    + e.getDescription(), e);
        }
    }

    /** PEFT's {@code "all-linear"}. */
    static LoraTargets allLinear() {
        return new AllLinear();
    }

    /** PEFT's default targets for this model type; Phi-3 has none in PEFT, so its fused projections. */
    static LoraTargets defaultFor(String modelType) {
        return names(PEFT_DEFAULTS.getOrDefault(modelType, List.of("qkv_proj")));
    }

    /** Parses a CLI value: {@code all-linear}, or comma-separated module names. */
    static LoraTargets parse(String value) {
        if (value.equalsIgnoreCase("all-linear")) {
            return allLinear();
        }
        return names(List.of(value.split(",")).stream().map(String::strip).filter(s -> !s.isEmpty()).toList());
    }

    /** Names matched like {@code key == t or key.endswith("." + t)}. */
    record Names(List<String> names) implements LoraTargets {
        @Override
        public boolean matches(ModuleShape module, ModelShapes model) {
            String key = module.name();
            return names.stream().anyMatch(t -> key.equals(t) || key.endsWith("." + t));
        }

        @Override
        public String describe() {
            return names.toString();
        }
    }

    /** {@code re.fullmatch(regex, key)}. */
    record Regex(Pattern pattern) implements LoraTargets {
        @Override
        public boolean matches(ModuleShape module, ModelShapes model) {
            return pattern.matcher(module.name()).matches();
        }

        @Override
        public String describe() {
            return "'" + pattern.pattern() + "'";
        }
    }

    /** Every Linear/Conv1D module except the output head. */
    record AllLinear() implements LoraTargets {
        @Override
        public boolean matches(ModuleShape module, ModelShapes model) {
            return module.isLinear() && !module.name().equals(model.outputHead());
        }

        @Override
        public String describe() {
            return "all-linear";
        }
    }
}
