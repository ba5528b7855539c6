/**
 * What an adapter or safetensors file holds, summarised for people and for {@code --json}:
 * tensors, dtypes, modules, ranks and configuration ({@link io.peft4j.inspect.Inspector}); and what
 * an adapter's updates are ({@link io.peft4j.inspect.DeltaStatistics}): per LoRA module the norm,
 * effective rank and energy ranks, and two adapters compared by cosine similarity, exactly and in
 * factor space.
 */
package io.peft4j.inspect;
