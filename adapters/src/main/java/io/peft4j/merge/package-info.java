/**
 * Merging LoRA adapters into base weights (streaming, shard by shard, bit-identical to PEFT where
 * PEFT's math is fixed-order) and combining adapters: the soups of PEFT's {@code
 * add_weighted_adapter} and ZipLoRA.
 */
package io.peft4j.merge;
