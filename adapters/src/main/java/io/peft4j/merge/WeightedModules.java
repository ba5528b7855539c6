package io.peft4j.merge;

import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraModule;
import io.peft4j.safetensors.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LoRA modules from one source with the weight their updates are multiplied by: what
 * {@link BaseMerger} merges into a checkpoint, whether they come from a PEFT adapter directory or
 * from another layout (a kohya or diffusers file).
 *
 * @param source       names the source in messages (a directory or file)
 * @param modules      the modules, named as the base checkpoint's modules
 * @param weight       multiplies every module's scaling ({@code 1} for a plain merge)
 * @param replacements whole tensors that replace the base's ({@code modules_to_save}), by base tensor name
 * @param baseCopies   copies of base tensors saved beside the adapter, by base tensor name
 */
public record WeightedModules(String source, List<LoraModule> modules, double weight,
                              Map<String, Tensor> replacements, Map<String, Tensor> baseCopies) {

    /** Copies the collections. */
    public WeightedModules {
        modules = List.copyOf(modules);
        replacements = Collections.unmodifiableMap(new LinkedHashMap<>(replacements));
        baseCopies = Collections.unmodifiableMap(new LinkedHashMap<>(baseCopies));
    }

    /** Plain LoRA modules with a weight, nothing replaced. */
    public static WeightedModules of(String source, List<LoraModule> modules, double weight) {
        return new WeightedModules(source, modules, weight, Map.of(), Map.of());
    }

    /** Everything a PEFT adapter directory changes, with its weight. */
    static WeightedModules of(LoraAdapter adapter, double weight) {
        return new WeightedModules(adapter.directory().toString(), adapter.modules(), weight,
                adapter.replacements(), adapter.baseCopies());
    }
}
