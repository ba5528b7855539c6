/**
 * Looking inside checkpoints and adapters: {@link io.peft4j.inspect.Inspector} lists tensors and
 * configuration; {@link io.peft4j.inspect.DeltaStatistics} measures each LoRA module's update
 * (norm, effective rank, energy ranks) and compares two adapters (cosine similarity per module),
 * exactly and in factor space.
 */
package io.peft4j.inspect;
