package io.peft4j.diffusion;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Converts a diffusion LoRA between layouts. Conversion re-keys: every factor is written byte for
 * byte in its own dtype, and every module keeps its scaling exactly (alpha per module as kohya
 * {@code .alpha} tensors, diffusers {@code lora_adapter_metadata} or a PEFT config's
 * {@code rank_pattern}/{@code alpha_pattern}); kohya's {@code __metadata__} (its {@code ss_*}
 * training record) is carried along. What a target cannot hold exactly is listed and the
 * conversion refused, unless {@code lossy} is set: the only such case is an rsLoRA module written
 * to kohya (which has no rsLoRA) whose {@code alpha / sqrt(r)} is not exactly {@code alpha' / r}
 * for the nearest double {@code alpha'}. Names change spelling only: kohya output uses diffusers'
 * block names (as diffusers' own {@code convert_state_dict_to_kohya} does), also for an SDXL file
 * that came with sd-scripts' original block names.
 */
public final class DiffusionConverter {

    private DiffusionConverter() {}

    /**
     * Converts {@code in} to {@code to}, written at {@code out}.
     *
     * @param lossy          write even what the target cannot hold exactly (the report lists it)
     * @param layersPerBlock the UNet's {@code layers_per_block} for kohya's SDXL block names (2 for SD and SDXL)
     * @throws DiffusionFormatException when the input cannot be read, or the target cannot hold it and {@code lossy} is not set
     */
    public static ConvertReport convert(Path in, Layout to, Path out, boolean lossy, int layersPerBlock) {
        return convert(in, to, out, lossy, layersPerBlock, false);
    }

    /**
     * Converts {@code in} to {@code to}, written at {@code out}, replacing an existing output when
     * {@code overwrite} (never the input itself: see {@link io.peft4j.output.OutputPolicy}).
     */
    public static ConvertReport convert(Path in, Layout to, Path out, boolean lossy, int layersPerBlock, boolean overwrite) {
        LayoutWriter.checkOutput(to, out, overwrite, in);
        try (DiffusionLora lora = DiffusionLora.load(in, layersPerBlock)) {
            List<String> losses = losses(lora.modules(), to);
            if (!losses.isEmpty() && !lossy) {
                throw new DiffusionFormatException(in, to.cliName() + " cannot hold this LoRA exactly (" + losses.getFirst()
                        + (losses.size() > 1 ? "; and " + (losses.size() - 1) + " more" : "") + "); pass --lossy to convert anyway");
            }
            Path written = LayoutWriter.write(to, lora.modules(), lora.metadata(), out, overwrite, in);
            Map<Component, Integer> counts = new EnumMap<>(Component.class);
            lora.byComponent().forEach((c, modules) -> counts.put(c, modules.size()));
            return new ConvertReport(in, written, lora.layout(), to, counts, losses, lora.diffusersDepartures());
        }
    }

    /** Converts with SD/SDXL's {@code layers_per_block}, refusing what the target cannot hold. */
    public static ConvertReport convert(Path in, Layout to, Path out) {
        return convert(in, to, out, false, DiffusionLora.DEFAULT_LAYERS_PER_BLOCK);
    }

    /** What writing {@code modules} in {@code to} would not keep exactly, one line per module. */
    static List<String> losses(List<DiffusionModule> modules, Layout to) {
        List<String> losses = new ArrayList<>();
        if (to != Layout.KOHYA) {
            return losses;
        }
        for (DiffusionModule m : modules) {
            if (m.rsLora()) {
                double alpha = LayoutWriter.kohyaAlpha(m);
                double scaling = alpha / m.rank();
                if (scaling != m.scaling()) {
                    losses.add(String.format(Locale.ROOT, "%s %s: rsLoRA scaling %s becomes %s (kohya has no rsLoRA)",
                            m.component().shortName(), m.name(), m.scaling(), scaling));
                }
            }
        }
        return losses;
    }
}
