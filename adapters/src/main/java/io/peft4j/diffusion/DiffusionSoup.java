package io.peft4j.diffusion;

import io.peft4j.merge.LoraFactors;
import io.peft4j.merge.LoraSoup;
import io.peft4j.merge.SoupInput;
import io.peft4j.merge.SoupOptions;
import io.peft4j.merge.SoupReport;
import io.peft4j.merge.SoupResult;
import io.peft4j.merge.WeightedAdapter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Soups of diffusion LoRAs, each input in any layout, the result in the layout asked for: every
 * method of {@link LoraSoup} ({@code add_weighted_adapter}'s and ZipLoRA) with the same arithmetic,
 * module by module, modules matched across inputs by component and canonical name. ZipLoRA
 * (Shah et al. 2023) merges a subject LoRA and a style LoRA with per-column mergers; its
 * calibration activations are keyed by the qualified module name
 * ({@code unet.down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q}), rows of {@code [n, in]}
 * (for a convolution, unfolded patches {@code [n, in * kh * kw]} in {@code torch.nn.functional.unfold}'s order).
 * The result's modules have scaling 1 ({@code alpha = r}): the inputs' scalings are inside the factors.
 */
public final class DiffusionSoup {

    private DiffusionSoup() {}

    /**
     * Makes the soup of {@code options} (its adapters are diffusion LoRA files or folders) and writes
     * it at {@code options.out()} in layout {@code to} (the first input's layout when null); see
     * {@link DiffusionConverter} for where each layout goes.
     */
    public static SoupReport soup(SoupOptions options, Layout to) {
        return soup(options, to, DiffusionLora.DEFAULT_LAYERS_PER_BLOCK);
    }

    /** As {@link #soup(SoupOptions, Layout)} with the UNet's {@code layers_per_block} for kohya's SDXL block names. */
    public static SoupReport soup(SoupOptions options, Layout to, int layersPerBlock) {
        Path out = options.out();
        Path[] inputs = options.adapters().stream().map(WeightedAdapter::directory).toArray(Path[]::new);
        if (to != null) {
            LayoutWriter.checkOutput(to, out, options.overwrite(), inputs);
        }
        List<DiffusionLora> loras = new ArrayList<>();
        try {
            List<SoupInput> soupInputs = new ArrayList<>();
            for (WeightedAdapter wa : options.adapters()) {
                DiffusionLora lora = DiffusionLora.load(wa.directory(), layersPerBlock);
                loras.add(lora);
                soupInputs.add(SoupInput.of(lora.path().toString(),
                        lora.modules().stream().map(m -> m.toLoraModule(m.qualifiedName())).toList()));
            }
            Layout layout = to != null ? to : loras.getFirst().layout();
            LayoutWriter.checkOutput(layout, out, options.overwrite(), inputs);
            SoupResult result = LoraSoup.combine(options, soupInputs);
            List<DiffusionModule> modules = new ArrayList<>();
            result.modules().forEach((qualified, module) -> modules.add(toModule(qualified, module)));
            Path written = LayoutWriter.write(layout, modules, Map.of(), out, options.overwrite(), inputs);
            return result.report(written, LoraSoup.warnings(options));
        } finally {
            loras.forEach(DiffusionLora::close);
        }
    }

    private static DiffusionModule toModule(String qualified, SoupResult.Module module) {
        Component component = DiffusersLayout.componentOf(qualified);
        String name = qualified.substring(component.diffusersName().length() + 1);
        LoraFactors f = module.factors();
        return new DiffusionModule(component, name, Tensors.ofFloats(qualified + ".down", module.aShape(), f.a()),
                Tensors.ofFloats(qualified + ".up", module.bShape(), f.b()), f.rank(), false, Optional.empty());
    }
}
