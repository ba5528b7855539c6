/**
 * The safetensors format: a memory-mapped reader (every dtype, sharded models), one header
 * validator, and streaming and sharded writers whose files equal Python's.
 */
package io.peft4j.safetensors;
