package io.peft4j.peft;

import java.util.List;

/**
 * One tensor name of a saved PEFT adapter, split into the module it belongs to and its role.
 * PEFT saves {@code base_model.model.<module>.<role>} with the adapter name removed; a file whose
 * prefix appears twice (an adapter trained on a model that was already a PeftModel) is normalised.
 *
 * @param module the module name as in the base model's {@code named_modules()}
 * @param role what the tensor is
 * @param baseTensorName for whole tensors: the base tensor it stands for; otherwise empty
 */
record AdapterKey(String module, Role role, String baseTensorName) {

    /** The prefix PEFT puts before every module name. */
    static final String PREFIX = "base_model.model.";

    /** What a tensor of an adapter file is. */
    enum Role {
        LORA_A(".lora_A.weight"),
        LORA_B(".lora_B.weight"),
        LORA_B_BIAS(".lora_B.bias"),
        EMBEDDING_A(".lora_embedding_A"),
        EMBEDDING_B(".lora_embedding_B"),
        MAGNITUDE(".lora_magnitude_vector"),
        /** A whole trained tensor that replaces the base's ({@code modules_to_save}, e.g. a classifier head). */
        REPLACEMENT(""),
        /** A copy of a base weight PEFT saved beside the adapter ({@code base_layer}, e.g. tied embeddings). */
        BASE_COPY("");

        final String suffix;

        Role(String suffix) {
            this.suffix = suffix;
        }
    }

    private static final List<String> MAGNITUDE_SUFFIXES = List.of(".lora_magnitude_vector", ".lora_magnitude_vector.weight");

    /** What this key names, for messages: e.g. {@code lora_A of model.layers.0.q_proj}. */
    String describe() {
        return switch (role) {
            case REPLACEMENT, BASE_COPY -> "copy of " + baseTensorName;
            case MAGNITUDE -> "lora_magnitude_vector of " + module;
            default -> role.suffix.substring(1) + " of " + module;
        };
    }

    /** Parses one tensor name of an adapter file. */
    static AdapterKey parse(String tensorName) {
        String name = tensorName;
        while (name.startsWith(PREFIX)) {
            name = name.substring(PREFIX.length());
        }
        for (String suffix : MAGNITUDE_SUFFIXES) {
            if (name.endsWith(suffix)) {
                return new AdapterKey(name.substring(0, name.length() - suffix.length()), Role.MAGNITUDE, "");
            }
        }
        for (Role role : Role.values()) {
            if (!role.suffix.isEmpty() && role != Role.MAGNITUDE && name.endsWith(role.suffix)) {
                return new AdapterKey(name.substring(0, name.length() - role.suffix.length()), role, "");
            }
        }
        Role role = name.contains(".base_layer.") ? Role.BASE_COPY : Role.REPLACEMENT;
        String base = name.replace(".base_layer.", ".");
        int dot = base.lastIndexOf('.');
        return new AdapterKey(dot < 0 ? "" : base.substring(0, dot), role, base);
    }
}
