/**
 * Merging LoRA adapters into base weights (streaming, shard by shard; bit-identical to PEFT where
 * torch's CPU kernels sum each delta in peft4j's fixed order, within the error of another order
 * elsewhere) and combining adapters: the soups of PEFT's {@code add_weighted_adapter} and ZipLoRA.
 */
package io.peft4j.merge;
