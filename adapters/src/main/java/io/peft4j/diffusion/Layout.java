package io.peft4j.diffusion;

import java.util.Locale;

/** The key layouts diffusion LoRAs are published in. */
public enum Layout {
    /**
     * kohya/sd-scripts (also A1111, ComfyUI, civitai): one {@code .safetensors} file with
     * {@code lora_unet_<module>.lora_down.weight}, {@code .lora_up.weight} and {@code .alpha} per
     * module, module names with {@code _} for {@code .}; {@code lora_te_}/{@code lora_te1_}/
     * {@code lora_te2_} for text encoders. SDXL files from sd-scripts use the original (sgm) UNet
     * names ({@code input_blocks_4_1_...}); LoCon adds the resnet and sampler convolutions.
     */
    KOHYA,
    /**
     * diffusers: one {@code .safetensors} file (usually {@code pytorch_lora_weights.safetensors})
     * with {@code unet.<module>.lora_A.weight}/{@code lora_B.weight} (or the older
     * {@code lora.down}/{@code lora.up}, {@code lora_linear_layer}, attention-processor keys),
     * {@code text_encoder.} and {@code text_encoder_2.}; rank and alpha per module in the
     * {@code lora_adapter_metadata} header entry, else alpha = rank.
     */
    DIFFUSERS,
    /**
     * PEFT adapter folders: {@code adapter_config.json} and {@code adapter_model.safetensors} per
     * component, in sub-folders {@code unet/}, {@code text_encoder/}, {@code text_encoder_2/} (or
     * one such folder alone), as {@code PeftModel.save_pretrained} writes them.
     */
    PEFT;

    /** The name used on the command line: {@code kohya}, {@code diffusers}, {@code peft}. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a command-line name. */
    public static Layout parse(String name) {
        for (Layout l : values()) {
            if (l.cliName().equals(name.toLowerCase(Locale.ROOT))) {
                return l;
            }
        }
        throw new DiffusionFormatException("unknown layout '" + name + "'; use peft, diffusers or kohya");
    }
}
