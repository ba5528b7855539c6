package io.peft4j.diffusion;

import io.peft4j.peft.LayerKind;
import io.peft4j.peft.LoraModule;
import io.peft4j.safetensors.Tensor;
import java.util.Optional;

/**
 * The LoRA of one module of a diffusion pipeline, whatever layout it was read from.
 *
 * @param component  the pipeline part
 * @param name       the canonical module name within it (see the package's naming rules)
 * @param down       {@code lora_down}/{@code lora_A}: {@code [r, in]} or, for a convolution, {@code [r, in, kh, kw]}
 * @param up         {@code lora_up}/{@code lora_B}: {@code [out, r]} or {@code [out, r, 1, 1]}
 * @param alpha      the module's alpha: the scaling is {@code alpha / r} ({@code alpha / sqrt(r)} with rsLoRA)
 * @param rsLora     whether the scaling is rsLoRA's {@code alpha / sqrt(r)}
 * @param alphaTensor the kohya {@code .alpha} tensor it was read from, written back as is; empty otherwise
 */
public record DiffusionModule(Component component, String name, Tensor down, Tensor up, double alpha, boolean rsLora,
                              Optional<Tensor> alphaTensor) {

    /** The rank {@code r}. */
    public int rank() {
        return Math.toIntExact(down.shape()[0]);
    }

    /** {@link LayerKind#CONV2D} for 4-dimensional factors, else {@link LayerKind#LINEAR}. */
    public LayerKind kind() {
        return down.shape().length == 4 ? LayerKind.CONV2D : LayerKind.LINEAR;
    }

    /** The scaling applied to {@code up @ down}, in double precision as Python computes it. */
    public double scaling() {
        return rsLora ? alpha / Math.sqrt(rank()) : alpha / rank();
    }

    /** The diffusers key stem: {@code unet.<name>}, {@code text_encoder.<name>}, {@code text_encoder_2.<name>}. */
    public String qualifiedName() {
        return component.diffusersName() + "." + name;
    }

    /** The module as peft4j's merge and soup code take it, under {@code moduleName}. */
    public LoraModule toLoraModule(String moduleName) {
        return LoraModule.of(moduleName, kind(), scaling(), down, up);
    }

    /** Trainable parameters: both factors. */
    public long parameterCount() {
        return down.numel() + up.numel();
    }
}
