/**
 * Memory, parameter and time estimates for a fine-tuning job, from a model's {@code config.json}
 * or its safetensors headers (local or read remotely by range requests), without loading weights.
 */
package io.peft4j.estimate;
