/**
 * What an adapter or safetensors file holds, summarised for people and for {@code --json}:
 * tensors, dtypes, modules, ranks and configuration.
 */
package io.peft4j.inspect;
