package io.peft4j.diffusion;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What diffusers 0.42.1's {@code load_lora_weights} does to each module of a file, where it departs
 * from the layout's own meaning (which peft4j follows). Found by running diffusers on such files;
 * {@code DiffusersCrossCheckTest} checks this model against diffusers on every fixture.
 *
 * <p>kohya files: per component, diffusers takes the most common {@code .alpha} as
 * {@code lora_alpha} (on a tie the first in sorted key order) and gives the others through
 * {@code alpha_pattern}, but
 * <ul>
 *   <li>the pattern keys it builds for attention projections (the UNet's {@code to_q/to_k/to_v/to_out.0},
 *       the text encoders' {@code q/k/v/out_proj}) match no module, so those get {@code lora_alpha};
 *       nor do its keys for the first text encoder's modules named {@code text_model_...} (as
 *       sd-scripts names them), since transformers 5's {@code CLIPTextModel} has no such level;</li>
 *   <li>modules without an {@code .alpha} key get {@code lora_alpha}, not their rank (kohya: the rank);</li>
 *   <li>an alpha of 0 scales by 0 (kohya: by 1).</li>
 * </ul>
 * A component with no {@code .alpha} key at all gets {@code alpha = r} everywhere, as kohya does.
 * SDXL's addition embedding under diffusers' names ({@code lora_unet_add_embedding_linear_1}, as
 * diffusers' own {@code convert_state_dict_to_kohya} writes it) is not loaded at all.
 *
 * <p>diffusers files: when the first UNet key (in sorted order) is spelled {@code lora_A}, the
 * UNet's other spellings ({@code lora.down}, {@code processor.to_q_lora.down}, which
 * {@code convert_state_dict_to_diffusers} writes for attention) are not converted, so those
 * modules are not loaded: their LoRA layers keep their initial weights.
 */
final class DiffusersQuirks {

    private static final Pattern ATTENTION_PROJECTION = Pattern.compile(".*\\.(?:to_q|to_k|to_v|to_out\\.0|q_proj|k_proj|v_proj|out_proj)");

    private DiffusersQuirks() {}

    /**
     * The scaling diffusers 0.42.1 gives each module ({@link Double#NaN} where it does not load the
     * module), by qualified name; every module of a PEFT layout, which diffusers does not read,
     * has its own.
     */
    static Map<String, Double> diffusersScaling(DiffusionLora lora) {
        Map<String, Double> scaling = new LinkedHashMap<>();
        lora.modules().forEach(m -> scaling.put(m.qualifiedName(),
                lora.notLoadedByDiffusers().contains(m.qualifiedName()) ? Double.NaN : m.scaling()));
        if (lora.layout() != Layout.KOHYA) {
            return scaling;
        }
        lora.byComponent().forEach((component, modules) -> {
            Map<DiffusionModule, Double> raw = new LinkedHashMap<>();
            modules.stream()
                    .sorted(Comparator.comparing(m -> ModuleNames.kohya(m.name())))
                    .forEach(m -> m.alphaTensor().ifPresent(t -> raw.put(m, Tensors.scalar(lora.path(), t))));
            if (raw.isEmpty()) {
                return;
            }
            double common = mostCommon(raw.values());
            for (DiffusionModule m : modules) {
                Double alpha = raw.get(m);
                double used = alpha == null || alpha == common || !patternMatches(m) ? common : alpha;
                if (!Double.isNaN(scaling.get(m.qualifiedName()))) {
                    scaling.put(m.qualifiedName(), used / m.rank());
                }
            }
        });
        return scaling;
    }

    /**
     * Whether the {@code alpha_pattern} key diffusers builds for a kohya module matches it: not for
     * attention projections, and not for the first text encoder's modules when the kohya name has
     * {@code text_model_} (transformers 5's {@code CLIPTextModel} has no {@code text_model} level).
     */
    private static boolean patternMatches(DiffusionModule m) {
        if (ATTENTION_PROJECTION.matcher(m.name()).matches()) {
            return false;
        }
        return m.component() != Component.TEXT_ENCODER
                || m.alphaTensor().map(t -> !t.name().contains("_text_model_")).orElse(true);
    }

    /** One line per module that diffusers 0.42.1 would scale differently or not load. */
    static List<String> of(DiffusionLora lora) {
        List<String> lines = new ArrayList<>();
        Map<String, Double> diffusers = diffusersScaling(lora);
        for (DiffusionModule m : lora.modules()) {
            double d = diffusers.get(m.qualifiedName());
            if (Double.isNaN(d)) {
                lines.add(m.component().shortName() + " " + m.name() + ": diffusers 0.42.1 does not load it (see"
                        + " DiffusersQuirks: a key spelling it does not convert); peft4j reads it");
            } else if (d != m.scaling()) {
                lines.add(String.format(Locale.ROOT, "%s %s: diffusers 0.42.1 scales it by %s, kohya (and peft4j) by %s/%d = %s",
                        m.component().shortName(), m.name(), number(d), number(m.alpha()), m.rank(), number(m.scaling())));
            }
        }
        return lines;
    }

    /** The most common value, the first seen on a tie (Python's {@code Counter.most_common}). */
    private static double mostCommon(Iterable<Double> values) {
        Map<Double, Integer> counts = new LinkedHashMap<>();
        values.forEach(v -> counts.merge(v, 1, Integer::sum));
        double best = 0;
        int most = 0;
        for (Map.Entry<Double, Integer> e : counts.entrySet()) {
            if (e.getValue() > most) {
                best = e.getKey();
                most = e.getValue();
            }
        }
        return best;
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
