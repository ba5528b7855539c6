package io.peft4j.diffusion;

import io.peft4j.peft.AdapterConfig;
import io.peft4j.peft.LayerKind;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraModule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * PEFT adapter folders ({@link Layout#PEFT}): one per component, named as the pipeline names it
 * ({@code unet/}, {@code text_encoder/}, {@code text_encoder_2/}) inside the given folder; or the
 * given folder is itself one component's adapter (its name, else its module names, say which).
 * Module names are those of the component model under transformers 5.x (see
 * {@link ModuleNames#peftName}); scaling per module comes from the adapter's config as PEFT
 * computes it.
 */
final class PeftLayout {

    private PeftLayout() {}

    /** The component folders of a PEFT layout folder, or empty when {@code dir} is not one. */
    static Map<Component, Path> componentFolders(Path dir) {
        Map<Component, Path> folders = new LinkedHashMap<>();
        if (!Files.isDirectory(dir)) {
            return folders;
        }
        if (Files.isRegularFile(dir.resolve(AdapterConfig.FILE_NAME))) {
            Component named = Component.ofDiffusersName(String.valueOf(dir.getFileName()));
            folders.put(named, dir); // null: decided from the module names
            return folders;
        }
        for (Component c : Component.values()) {
            Path sub = dir.resolve(c.diffusersName());
            if (Files.isRegularFile(sub.resolve(AdapterConfig.FILE_NAME))) {
                folders.put(c, sub);
            }
        }
        return folders;
    }

    /** Reads the adapters of the component folders; they stay open in {@code open} until the caller closes them. */
    static List<DiffusionModule> read(Path dir, Map<Component, Path> folders, int layersPerBlock, List<LoraAdapter> open) {
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : entries.toList()) {
                Component c = Component.ofDiffusersName(String.valueOf(p.getFileName()));
                if (Files.isDirectory(p) && c == null && Files.isRegularFile(p.resolve(AdapterConfig.FILE_NAME))) {
                    throw new DiffusionFormatException(p, "an adapter folder that is no pipeline component"
                            + " (unet, text_encoder, text_encoder_2)");
                }
            }
        } catch (java.io.IOException e) {
            throw new DiffusionFormatException(dir, "cannot list: " + e.getMessage());
        }
        List<DiffusionModule> modules = new ArrayList<>();
        for (Map.Entry<Component, Path> e : folders.entrySet()) {
            LoraAdapter adapter = LoraAdapter.load(e.getValue());
            open.add(adapter);
            Path weights = e.getValue().resolve(LoraAdapter.WEIGHTS_FILE);
            AdapterConfig config = adapter.config();
            if (config.useDora()) {
                throw new DiffusionFormatException(e.getValue().resolve(AdapterConfig.FILE_NAME),
                        "use_dora: DoRA is not supported for diffusion LoRAs");
            }
            if (!adapter.replacements().isEmpty()) {
                throw new DiffusionFormatException(weights, "modules_to_save tensors (" + adapter.replacements().keySet().iterator().next()
                        + ") cannot be carried by a diffusion LoRA");
            }
            Component component = e.getKey() != null ? e.getKey() : inferComponent(weights, adapter, layersPerBlock);
            for (LoraModule m : adapter.modules()) {
                if (m.kind() != LayerKind.LINEAR && m.kind() != LayerKind.CONV2D || m.loraBBias().isPresent()) {
                    throw new DiffusionFormatException(weights, m.moduleName() + " is a " + m.kind()
                            + (m.loraBBias().isPresent() ? " with lora_bias" : "") + "; diffusion LoRAs hold plain Linear and Conv2d LoRA");
                }
                String name = ModuleNames.canonical(component, m.moduleName(), layersPerBlock).orElseThrow(
                        () -> new DiffusionFormatException(weights, "module " + m.moduleName() + " is no "
                                + (component.isTextEncoder() ? "CLIP text-encoder" : "Stable Diffusion UNet") + " module LoRA applies to"));
                Tensors.checkPair(weights, m.moduleName(), m.loraA(), m.loraB());
                modules.add(new DiffusionModule(component, name, m.loraA(), m.loraB(), config.alphaFor(m.moduleName()),
                        config.useRslora(), Optional.empty()));
            }
        }
        return modules;
    }

    private static Component inferComponent(Path weights, LoraAdapter adapter, int layersPerBlock) {
        boolean unet = adapter.modules().stream().allMatch(m -> ModuleNames.unet(m.moduleName(), layersPerBlock).isPresent());
        if (unet) {
            return Component.UNET;
        }
        boolean text = adapter.modules().stream().allMatch(m -> ModuleNames.text(m.moduleName()).isPresent());
        if (text) {
            return Component.TEXT_ENCODER;
        }
        throw new DiffusionFormatException(weights, "modules of neither a Stable Diffusion UNet nor a CLIP text encoder"
                + " (put each component's adapter in a folder named unet, text_encoder or text_encoder_2)");
    }

    /** The adapter config of one component's modules, named as the component model names them. */
    static AdapterConfig config(List<DiffusionModule> modules) {
        return ComponentConfig.of(modules, m -> ModuleNames.peftName(m.component(), m.name())).toAdapterConfig();
    }

    /** The key of a module's {@code lora_A} in {@code adapter_model.safetensors}. */
    static String downKey(DiffusionModule m) {
        return "base_model.model." + ModuleNames.peftName(m.component(), m.name()) + ".lora_A.weight";
    }

    /** The key of a module's {@code lora_B} in {@code adapter_model.safetensors}. */
    static String upKey(DiffusionModule m) {
        return "base_model.model." + ModuleNames.peftName(m.component(), m.name()) + ".lora_B.weight";
    }
}
