/**
 * Adapters from fine-tuned models: {@link io.peft4j.extract.AdapterExtractor} turns the task vector
 * {@code W_tuned - W_base} of every targeted linear module into a standard PEFT LoRA adapter, one
 * module at a time from memory-mapped inputs, through a randomized range finder (Halko, Martinsson,
 * Tropp 2011) or, for checking, the exact SVD; it also re-factors an existing adapter (DoRA, rsLoRA
 * with patterns, a soup) into a plain LoRA of a chosen rank or energy. {@link io.peft4j.extract.ProductSvd}
 * decomposes a LoRA product {@code B @ A} in factor space, for this and for adapter statistics.
 */
package io.peft4j.extract;
