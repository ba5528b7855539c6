package io.peft4j.diffusion;

/**
 * The parts of a Stable Diffusion pipeline a LoRA can change, with the names each layout gives
 * them. SD 1.x/2.x have one text encoder ({@code CLIPTextModel}), SDXL two (the second a
 * {@code CLIPTextModelWithProjection}).
 */
public enum Component {
    /** The denoising {@code UNet2DConditionModel}. */
    UNET("unet", "unet"),
    /** The (first) text encoder, {@code CLIPTextModel}. */
    TEXT_ENCODER("te1", "text_encoder"),
    /** SDXL's second text encoder, {@code CLIPTextModelWithProjection}. */
    TEXT_ENCODER_2("te2", "text_encoder_2");

    private final String shortName;
    private final String diffusersName;

    Component(String shortName, String diffusersName) {
        this.shortName = shortName;
        this.diffusersName = diffusersName;
    }

    /** {@code unet}, {@code te1} or {@code te2}, as {@code peft4j inspect} shows it. */
    public String shortName() {
        return shortName;
    }

    /**
     * The pipeline's name for it: the key prefix of diffusers files ({@code unet.},
     * {@code text_encoder.}, {@code text_encoder_2.}) and the sub-folder of a model folder and of a
     * PEFT layout.
     */
    public String diffusersName() {
        return diffusersName;
    }

    /** Whether this is a text encoder. */
    public boolean isTextEncoder() {
        return this != UNET;
    }

    /**
     * The kohya key prefix: {@code lora_unet_}; {@code lora_te_} for the text encoder of a
     * one-encoder model, {@code lora_te1_} and {@code lora_te2_} for SDXL's two.
     */
    public String kohyaPrefix(boolean twoTextEncoders) {
        return switch (this) {
            case UNET -> "lora_unet_";
            case TEXT_ENCODER -> twoTextEncoders ? "lora_te1_" : "lora_te_";
            case TEXT_ENCODER_2 -> "lora_te2_";
        };
    }

    /** The component a pipeline sub-folder name stands for, or null. */
    static Component ofDiffusersName(String name) {
        for (Component c : values()) {
            if (c.diffusersName.equals(name)) {
                return c;
            }
        }
        return null;
    }
}
