package io.peft4j.diffusion;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.peft.AdapterConfig;
import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * diffusers files ({@link Layout#DIFFUSERS}): keys {@code <component>.<module>.lora_A.weight} and
 * {@code .lora_B.weight}, or the spellings diffusers still loads ({@code .lora.down.weight} from
 * {@code convert_state_dict_to_diffusers}, {@code .lora_linear_layer.down.weight}, and the old
 * attention processors' {@code .processor.to_q_lora.down.weight}). Rank and alpha per module come
 * from the file's {@code lora_adapter_metadata} (LoraConfig fields per component, prefixed with
 * the component: {@code unet.r}, {@code unet.lora_alpha}, {@code unet.alpha_pattern}, ...) when it
 * has them, else every module has {@code alpha = r}: what diffusers' {@code load_lora_weights} does.
 */
final class DiffusersLayout {

    /** diffusers' default weights file name ({@code LORA_WEIGHT_NAME_SAFE}). */
    static final String WEIGHTS_FILE = "pytorch_lora_weights.safetensors";
    /** The header entry holding LoraConfig fields per component. */
    static final String METADATA_KEY = "lora_adapter_metadata";

    private static final ObjectMapper JSON = new ObjectMapper();

    private DiffusersLayout() {}

    /** The component whose prefix a key has, or null. */
    static Component componentOf(String key) {
        for (Component c : new Component[] {Component.TEXT_ENCODER_2, Component.TEXT_ENCODER, Component.UNET}) {
            if (key.startsWith(c.diffusersName() + ".")) {
                return c;
            }
        }
        return null;
    }

    /** Reads every module of a diffusers file. */
    static List<DiffusionModule> read(Path path, SafetensorsFile file, int layersPerBlock) {
        Map<Component, AdapterConfig> configs = configs(path, file.metadata().get(METADATA_KEY));
        Map<String, Tensor[]> pairs = new LinkedHashMap<>();
        Map<String, Component> components = new LinkedHashMap<>();
        for (TensorInfo info : file.tensors()) {
            String key = info.name();
            Component component = componentOf(key);
            if (component == null) {
                throw new DiffusionFormatException(path, "key " + key + " has no component prefix (unet., text_encoder.,"
                        + " text_encoder_2.); the file mixes layouts");
            }
            Role role = Role.of(key);
            if (role == null) {
                throw new DiffusionFormatException(path, "key " + key + " is not a LoRA weight (lora_A/lora_B)" + hint(key));
            }
            String dotted = moduleOf(component, key.substring(component.diffusersName().length() + 1, key.length() - role.suffix.length()));
            String name = ModuleNames.canonical(component, dotted, layersPerBlock).orElseThrow(() -> new DiffusionFormatException(
                    path, "key " + key + " names no " + (component.isTextEncoder() ? "CLIP text-encoder" : "Stable Diffusion UNet")
                            + " module LoRA applies to"));
            String qualified = component.diffusersName() + "." + name;
            Tensor[] pair = pairs.computeIfAbsent(qualified, k -> new Tensor[2]);
            if (pair[role.down ? 0 : 1] != null) {
                throw new DiffusionFormatException(path, "key " + key + " repeats the " + (role.down ? "down" : "up")
                        + " factor of " + qualified + " under another spelling");
            }
            pair[role.down ? 0 : 1] = file.tensor(key);
            components.put(qualified, component);
        }
        List<DiffusionModule> modules = new ArrayList<>();
        for (Map.Entry<String, Tensor[]> e : pairs.entrySet()) {
            Tensor[] pair = e.getValue();
            Component component = components.get(e.getKey());
            if (pair[0] == null || pair[1] == null) {
                throw new DiffusionFormatException(path, e.getKey() + " has " + (pair[0] == null ? "no" : "a") + " lora_A and "
                        + (pair[1] == null ? "no" : "a") + " lora_B; both are needed");
            }
            Tensors.checkPair(path, e.getKey(), pair[0], pair[1]);
            String name = e.getKey().substring(component.diffusersName().length() + 1);
            int rank = Math.toIntExact(pair[0].shape()[0]);
            AdapterConfig config = configs.get(component);
            double alpha = rank;
            boolean rsLora = false;
            if (config != null) {
                int configured = lookup(name, config::rankFor, config.rank());
                if (configured != rank) {
                    throw new DiffusionFormatException(path, e.getKey() + " has rank " + rank + " but "
                            + METADATA_KEY + " gives it r=" + configured);
                }
                alpha = lookup(name, config::alphaFor, config.loraAlpha());
                rsLora = config.useRslora();
            }
            modules.add(new DiffusionModule(component, name, pair[0], pair[1], alpha, rsLora, Optional.empty()));
        }
        return modules;
    }

    /**
     * The UNet modules diffusers 0.42.1 does not load from this file: when the first UNet key in
     * sorted order is spelled {@code lora_A}, those spelled otherwise (it converts spellings only
     * when the first key is not).
     */
    static java.util.Set<String> notLoadedByDiffusers(SafetensorsFile file, int layersPerBlock) {
        List<String> unetKeys = file.tensors().stream().map(TensorInfo::name).filter(k -> k.startsWith("unet.")).sorted().toList();
        java.util.Set<String> skipped = new java.util.LinkedHashSet<>();
        if (unetKeys.isEmpty() || !unetKeys.getFirst().contains("lora_A")) {
            return skipped;
        }
        for (String key : unetKeys) {
            Role role = Role.of(key);
            if (role != Role.A && role != Role.B) {
                String dotted = moduleOf(Component.UNET, key.substring("unet.".length(), key.length() - role.suffix.length()));
                ModuleNames.unet(dotted, layersPerBlock).ifPresent(name -> skipped.add("unet." + name));
            }
        }
        return skipped;
    }

    /**
     * A pattern lookup for a module as PEFT sees it: UNet names as they are; a text-encoder module
     * under whichever of its names (with or without {@code text_model.}) a pattern matches.
     */
    private static <T> T lookup(String name, java.util.function.Function<String, T> byName, T fallback) {
        T full = byName.apply(name);
        return full.equals(fallback) ? byName.apply(ModuleNames.withoutTextModel(name)) : full;
    }

    /** The {@code lora_adapter_metadata} entry split by component. */
    private static Map<Component, AdapterConfig> configs(Path path, String metadata) {
        Map<Component, AdapterConfig> configs = new EnumMap<>(Component.class);
        if (metadata == null) {
            return configs;
        }
        JsonNode root;
        try {
            root = JSON.readTree(metadata);
        } catch (JsonProcessingException e) {
            throw new DiffusionFormatException(path, METADATA_KEY + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new DiffusionFormatException(path, METADATA_KEY + " is not a JSON object");
        }
        Map<Component, ObjectNode> fields = new EnumMap<>(Component.class);
        root.properties().forEach(e -> {
            Component c = componentOf(e.getKey());
            if (c != null) {
                fields.computeIfAbsent(c, k -> JSON.createObjectNode())
                        .set(e.getKey().substring(c.diffusersName().length() + 1), e.getValue());
            }
        });
        fields.forEach((c, node) -> {
            if (node.path("use_dora").asBoolean(false)) {
                throw new DiffusionFormatException(path, METADATA_KEY + " sets " + c.diffusersName()
                        + ".use_dora; DoRA is not supported for diffusion LoRAs");
            }
            configs.put(c, AdapterConfig.parse(node.toString(), path));
        });
        return configs;
    }

    /** The dotted module of a key stem, old attention-processor spellings mapped to the module they change. */
    private static String moduleOf(Component component, String stem) {
        String s = stem.replace(".processor.", ".");
        for (String p : new String[] {"q", "k", "v", "out"}) {
            String old = "." + "to_" + p + "_lora";
            if (s.endsWith(old)) {
                String base = s.substring(0, s.length() - old.length());
                if (component.isTextEncoder()) {
                    return base + "." + p + "_proj";
                }
                return base + ".to_" + p + (p.equals("out") ? ".0" : "");
            }
        }
        return s;
    }

    /** Which factor a key holds, by its spelling. */
    private enum Role {
        A(".lora_A.weight", true),
        B(".lora_B.weight", false),
        DOWN(".lora.down.weight", true),
        UP(".lora.up.weight", false),
        LINEAR_DOWN(".lora_linear_layer.down.weight", true),
        LINEAR_UP(".lora_linear_layer.up.weight", false),
        PROCESSOR_DOWN(".down.weight", true),
        PROCESSOR_UP(".up.weight", false);

        final String suffix;
        final boolean down;

        Role(String suffix, boolean down) {
            this.suffix = suffix;
            this.down = down;
        }

        static Role of(String key) {
            for (Role r : values()) {
                if (key.endsWith(r.suffix)) {
                    if ((r == PROCESSOR_DOWN || r == PROCESSOR_UP) && !key.substring(0, key.length() - r.suffix.length()).endsWith("_lora")) {
                        return null;
                    }
                    return r;
                }
            }
            return null;
        }
    }

    private static String hint(String key) {
        if (key.endsWith(".lora_magnitude_vector") || key.endsWith(".lora_magnitude_vector.weight")) {
            return ": DoRA is not supported for diffusion LoRAs";
        }
        if (key.endsWith(".lora_B.bias")) {
            return ": lora_bias is not supported for diffusion LoRAs";
        }
        if (key.endsWith(".alpha")) {
            return ": diffusers files carry alpha in " + METADATA_KEY + ", not as tensors (diffusers refuses these keys too)";
        }
        return "";
    }

    /** The file's header metadata: the carried entries plus {@code format} and the components' LoraConfig fields. */
    static Map<String, String> metadata(Map<Component, List<DiffusionModule>> byComponent, Map<String, String> carried) {
        ObjectNode all = JSON.createObjectNode();
        byComponent.forEach((c, modules) -> {
            ObjectNode fields = ComponentConfig.of(modules, m -> m.component().isTextEncoder()
                    ? ModuleNames.withoutTextModel(m.name()) : m.name()).toJson();
            fields.properties().forEach(e -> all.set(c.diffusersName() + "." + e.getKey(), e.getValue()));
        });
        Map<String, String> metadata = new LinkedHashMap<>(carried);
        metadata.put("format", "pt");
        try {
            metadata.put(METADATA_KEY, JSON.copy().enable(SerializationFeature.INDENT_OUTPUT)
                    .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).writeValueAsString(JSON.convertValue(all, java.util.TreeMap.class)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return metadata;
    }

    /** The key of a module's down ({@code lora_A}) factor. */
    static String downKey(DiffusionModule m) {
        return m.qualifiedName() + Role.A.suffix;
    }

    /** The key of a module's up ({@code lora_B}) factor. */
    static String upKey(DiffusionModule m) {
        return m.qualifiedName() + Role.B.suffix;
    }
}
