/**
 * LoRA adapters for image generation (Stable Diffusion 1.x/2.x and SDXL UNets and their CLIP text
 * encoders) in the three layouts they are published in: kohya/sd-scripts files
 * ({@code lora_unet_...lora_down.weight}, {@code .alpha}), diffusers files
 * ({@code unet....lora_A.weight} in {@code pytorch_lora_weights.safetensors}) and PEFT adapter
 * folders per component. {@link io.peft4j.diffusion.DiffusionLora} reads any of them into one
 * model (module names as in diffusers' {@code UNet2DConditionModel} and {@code CLIPTextModel},
 * alpha per module), {@link io.peft4j.diffusion.DiffusionConverter} writes any layout,
 * {@link io.peft4j.diffusion.DiffusionMerger} merges into a diffusers model folder and
 * {@link io.peft4j.diffusion.DiffusionSoup} makes soups (ZipLoRA included) with the arithmetic of
 * {@link io.peft4j.merge}.
 */
package io.peft4j.diffusion;
