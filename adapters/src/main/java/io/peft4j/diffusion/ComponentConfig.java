package io.peft4j.diffusion;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.peft.AdapterConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The LoRA configuration fields that give every module of one component its rank and alpha, as
 * diffusers derives them: {@code r} and {@code lora_alpha} the most common values (the first seen
 * on a tie), {@code rank_pattern} and {@code alpha_pattern} the modules that differ, keyed by the
 * module name PEFT will see. Written as an {@code adapter_config.json} (PEFT layout) or as the
 * component's part of diffusers' {@code lora_adapter_metadata}; read back, {@code alpha_i / r_i}
 * is exactly each module's own.
 *
 * @param r            the default rank
 * @param alpha        the default alpha
 * @param rankPattern  ranks that differ from {@code r}, by module name
 * @param alphaPattern alphas that differ from {@code alpha}, by module name
 * @param targets      every module name
 * @param rsLora       whether the scaling is {@code alpha / sqrt(r)}
 */
record ComponentConfig(int r, double alpha, Map<String, Integer> rankPattern, Map<String, Double> alphaPattern,
                       List<String> targets, boolean rsLora) {

    /** The fields for {@code modules} (all of one component), named by {@code naming}. */
    static ComponentConfig of(List<DiffusionModule> modules, Function<DiffusionModule, String> naming) {
        boolean rsLora = modules.getFirst().rsLora();
        if (modules.stream().anyMatch(m -> m.rsLora() != rsLora)) {
            throw new IllegalArgumentException("modules of one component mix rsLoRA and plain LoRA scaling");
        }
        int r = mostCommon(modules, DiffusionModule::rank);
        double alpha = mostCommon(modules, DiffusionModule::alpha);
        Map<String, Integer> rankPattern = new LinkedHashMap<>();
        Map<String, Double> alphaPattern = new LinkedHashMap<>();
        List<String> targets = new ArrayList<>();
        for (DiffusionModule m : modules) {
            String name = naming.apply(m);
            targets.add(name);
            if (m.rank() != r) {
                rankPattern.put(name, m.rank());
            }
            if (m.alpha() != alpha) {
                alphaPattern.put(name, m.alpha());
            }
        }
        return new ComponentConfig(r, alpha, rankPattern, alphaPattern, targets, rsLora);
    }

    /** The fields as a JSON object: {@code r}, {@code lora_alpha}, patterns, {@code target_modules}, {@code use_rslora}. */
    ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("r", r);
        putNumber(n, "lora_alpha", alpha);
        ObjectNode ranks = n.putObject("rank_pattern");
        rankPattern.forEach(ranks::put);
        ObjectNode alphas = n.putObject("alpha_pattern");
        alphaPattern.forEach((k, v) -> putNumber(alphas, k, v));
        targets.forEach(n.putArray("target_modules")::add);
        n.put("use_rslora", rsLora);
        return n;
    }

    /** A PEFT {@code adapter_config.json} with these fields. */
    AdapterConfig toAdapterConfig() {
        ObjectNode n = toJson();
        n.put("peft_type", "LORA");
        return AdapterConfig.parse(n.toString(), java.nio.file.Path.of(AdapterConfig.FILE_NAME));
    }

    private static void putNumber(ObjectNode n, String field, double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            n.put(field, (long) value);
        } else {
            n.put(field, value);
        }
    }

    private static <T> T mostCommon(List<DiffusionModule> modules, Function<DiffusionModule, T> value) {
        Map<T, Integer> counts = new LinkedHashMap<>();
        modules.forEach(m -> counts.merge(value.apply(m), 1, Integer::sum));
        T best = null;
        int most = 0;
        for (Map.Entry<T, Integer> e : counts.entrySet()) {
            if (e.getValue() > most) {
                best = e.getKey();
                most = e.getValue();
            }
        }
        return best;
    }
}
