package io.peft4j.diffusion;

import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * kohya/sd-scripts files: {@code <prefix><module>.lora_down.weight}, {@code .lora_up.weight} and an
 * optional {@code .alpha} per module ({@link Layout#KOHYA}).
 *
 * <p>Alpha, per module, as sd-scripts defines it (and diffusers means to): the scaling is
 * {@code alpha / r} with {@code r} the module's {@code lora_down} rows; a module without
 * {@code .alpha} or with alpha 0 has {@code alpha = r} (sd-scripts' {@code LoRAModule}). diffusers
 * 0.42.1 departs from this for some modules; {@link DiffusersQuirks} names them.
 */
final class KohyaLayout {

    private static final String DOWN = ".lora_down.weight";
    private static final String UP = ".lora_up.weight";
    private static final String ALPHA = ".alpha";

    private KohyaLayout() {}

    /** Whether a key belongs to this layout (its prefix). */
    static boolean claims(String key) {
        return key.startsWith("lora_unet_") || key.startsWith("lora_te_") || key.startsWith("lora_te1_")
                || key.startsWith("lora_te2_");
    }

    /** Reads every module of a kohya file. */
    static List<DiffusionModule> read(Path path, SafetensorsFile file, int layersPerBlock) {
        Map<String, Map<String, Tensor>> groups = new LinkedHashMap<>();
        boolean te = false;
        boolean te1 = false;
        for (TensorInfo info : file.tensors()) {
            String key = info.name();
            if (!claims(key)) {
                throw new DiffusionFormatException(path, "key " + key + " is not a kohya key (lora_unet_, lora_te_,"
                        + " lora_te1_, lora_te2_); the file mixes layouts");
            }
            String part = partOf(path, key);
            String module = key.substring(0, key.length() - part.length());
            te |= module.startsWith("lora_te_");
            te1 |= module.startsWith("lora_te1_");
            groups.computeIfAbsent(module, k -> new LinkedHashMap<>()).put(part, file.tensor(key));
        }
        if (te && te1) {
            throw new DiffusionFormatException(path, "has both lora_te_ and lora_te1_ keys; which text encoder is meant is unclear");
        }
        List<DiffusionModule> modules = new ArrayList<>();
        Map<String, String> seen = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, Tensor>> e : groups.entrySet()) {
            String kohyaName = e.getKey();
            Map<String, Tensor> parts = e.getValue();
            Tensor down = parts.get(DOWN);
            Tensor up = parts.get(UP);
            if (down == null || up == null) {
                throw new DiffusionFormatException(path, kohyaName + " has " + (down == null ? "no" : "a") + " lora_down and "
                        + (up == null ? "no" : "a") + " lora_up; both are needed");
            }
            Tensors.checkPair(path, kohyaName, down, up);
            Component component = componentOf(kohyaName);
            String body = kohyaName.substring(kohyaName.indexOf('_', "lora_".length()) + 1);
            Optional<String> name = component.isTextEncoder()
                    ? ModuleNames.textFromKohya(body) : ModuleNames.unetFromKohya(body, layersPerBlock);
            if (name.isEmpty()) {
                throw new DiffusionFormatException(path, "key " + kohyaName + DOWN + " names no "
                        + (component.isTextEncoder() ? "CLIP text-encoder" : "Stable Diffusion UNet") + " module LoRA applies to");
            }
            String qualified = component.diffusersName() + "." + name.get();
            String earlier = seen.put(qualified, kohyaName);
            if (earlier != null) {
                throw new DiffusionFormatException(path, kohyaName + " and " + earlier + " both change " + qualified);
            }
            int rank = Math.toIntExact(down.shape()[0]);
            Tensor alphaTensor = parts.get(ALPHA);
            double alpha = alphaTensor == null ? rank : Tensors.scalar(path, alphaTensor);
            if (alpha == 0) {
                alpha = rank;
            }
            modules.add(new DiffusionModule(component, name.get(), down, up, alpha, false, Optional.ofNullable(alphaTensor)));
        }
        return modules;
    }

    /**
     * The kohya stem of a module: {@code lora_unet_down_blocks_0_..._to_q}; with {@code sgm}, UNet
     * modules under the original UNet's names as sd-scripts writes SDXL LoRAs
     * ({@code lora_unet_input_blocks_4_1_..._to_q}).
     */
    static String stem(DiffusionModule m, boolean twoTextEncoders, boolean sgm) {
        String name = sgm && m.component() == Component.UNET
                ? ModuleNames.sgm(m.name(), DiffusionLora.DEFAULT_LAYERS_PER_BLOCK) : m.name();
        return m.component().kohyaPrefix(twoTextEncoders) + ModuleNames.kohya(name);
    }

    /**
     * The modules diffusers 0.42.1 does not load from a kohya file: the SDXL addition embedding
     * under diffusers' block names ({@code lora_unet_add_embedding_linear_1}, as diffusers' own
     * {@code convert_state_dict_to_kohya} writes it), which its key conversion garbles; the sgm
     * spelling ({@code label_emb_0_0}) loads.
     */
    static java.util.Set<String> notLoadedByDiffusers(SafetensorsFile file) {
        java.util.Set<String> skipped = new java.util.LinkedHashSet<>();
        for (TensorInfo info : file.tensors()) {
            String key = info.name();
            if (key.startsWith("lora_unet_add_embedding_") && key.endsWith(DOWN)) {
                String body = key.substring("lora_unet_".length(), key.length() - DOWN.length());
                ModuleNames.unetFromKohya(body, DiffusionLora.DEFAULT_LAYERS_PER_BLOCK).ifPresent(n -> skipped.add("unet." + n));
            }
        }
        return skipped;
    }

    static String downKey(String stem) {
        return stem + DOWN;
    }

    static String upKey(String stem) {
        return stem + UP;
    }

    static String alphaKey(String stem) {
        return stem + ALPHA;
    }

    private static Component componentOf(String kohyaName) {
        if (kohyaName.startsWith("lora_unet_")) {
            return Component.UNET;
        }
        return kohyaName.startsWith("lora_te2_") ? Component.TEXT_ENCODER_2 : Component.TEXT_ENCODER;
    }

    /** The part of a key after its module: {@code .lora_down.weight}, {@code .lora_up.weight} or {@code .alpha}. */
    private static String partOf(Path path, String key) {
        for (String part : List.of(DOWN, UP, ALPHA)) {
            if (key.endsWith(part) && key.length() > part.length()) {
                return part;
            }
        }
        throw new DiffusionFormatException(path, "key " + key + " is not a LoRA weight (.lora_down.weight, .lora_up.weight"
                + " or .alpha)" + hint(key));
    }

    private static String hint(String key) {
        if (key.contains(".hada_")) {
            return ": LoHa (LyCORIS) is not supported";
        }
        if (key.contains(".lokr_")) {
            return ": LoKr (LyCORIS) is not supported";
        }
        if (key.endsWith(".dora_scale")) {
            return ": DoRA is not supported for diffusion LoRAs (diffusers drops these keys; peft4j refuses them)";
        }
        if (key.contains(".lora_mid.")) {
            return ": LoCon with a Tucker middle factor (lora_mid) is not supported";
        }
        if (key.endsWith(".diff") || key.endsWith(".diff_b")) {
            return ": full weight differences are not LoRA";
        }
        return "";
    }
}
