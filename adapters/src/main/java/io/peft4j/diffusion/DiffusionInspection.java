package io.peft4j.diffusion;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code peft4j inspect} shows of a diffusion LoRA: its layout, its components with their
 * module counts, ranks and alphas, every module with its scaling, and warnings (where diffusers
 * would scale a kohya file differently). Serializes to the CLI's {@code --json} output.
 *
 * @param path       the inspected path
 * @param layout     {@code kohya}, {@code diffusers} or {@code peft}
 * @param parameters trainable parameters (both factors of every module)
 * @param components one row per component present
 * @param modules    one row per module, in file order
 * @param metadata   the carried {@code __metadata__} entries (kohya's {@code ss_*} record, for instance)
 * @param warnings   one line each
 */
public record DiffusionInspection(String path, String layout, long parameters, List<ComponentRow> components,
                                  List<ModuleRow> modules, Map<String, String> metadata, List<String> warnings) {

    /**
     * One component.
     *
     * @param component  {@code unet}, {@code te1} or {@code te2}
     * @param modules    LoRA modules
     * @param conv       of which convolutions (LoCon)
     * @param ranks      module count per rank
     * @param alphas     module count per alpha
     * @param parameters trainable parameters
     */
    public record ComponentRow(String component, int modules, int conv, Map<Integer, Integer> ranks,
                               Map<Double, Integer> alphas, long parameters) {}

    /**
     * One module.
     *
     * @param component {@code unet}, {@code te1} or {@code te2}
     * @param name      the canonical module name
     * @param kind      {@code LINEAR} or {@code CONV2D}
     * @param rank      the rank
     * @param alpha     the alpha
     * @param scaling   the scaling applied to {@code up @ down}
     * @param dtype     the factors' dtype
     */
    public record ModuleRow(String component, String name, String kind, int rank, double alpha, double scaling, String dtype) {}

    /** Reads {@code path} (with SD/SDXL's {@code layers_per_block}) and describes it. */
    public static DiffusionInspection of(Path path) {
        try (DiffusionLora lora = DiffusionLora.load(path)) {
            List<ComponentRow> components = new ArrayList<>();
            lora.byComponent().forEach((c, modules) -> {
                Map<Integer, Integer> ranks = new TreeMap<>();
                Map<Double, Integer> alphas = new TreeMap<>();
                modules.forEach(m -> {
                    ranks.merge(m.rank(), 1, Integer::sum);
                    alphas.merge(m.alpha(), 1, Integer::sum);
                });
                int conv = (int) modules.stream().filter(m -> m.down().shape().length == 4).count();
                components.add(new ComponentRow(c.shortName(), modules.size(), conv, ranks, alphas,
                        modules.stream().mapToLong(DiffusionModule::parameterCount).sum()));
            });
            List<ModuleRow> rows = lora.modules().stream()
                    .map(m -> new ModuleRow(m.component().shortName(), m.name(), m.kind().name(), m.rank(), m.alpha(),
                            m.scaling(), m.down().dtype().safetensorsName()))
                    .toList();
            return new DiffusionInspection(path.toString(), lora.layout().cliName(), lora.parameterCount(), components, rows,
                    lora.metadata(), lora.diffusersDepartures());
        }
    }
}
