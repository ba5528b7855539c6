/**
 * The peft4j facade, {@link io.peft4j.Peft}: training, generation and evaluation through the
 * embedded Python (PEFT, transformers, bitsandbytes, TRL), merges, soups and estimates in Java,
 * with configuration builders, listeners and results.
 */
package io.peft4j;
