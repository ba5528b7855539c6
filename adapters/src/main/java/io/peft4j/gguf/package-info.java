/**
 * GGUF (version 3), the file format of llama.cpp, Ollama and LM Studio, and LoRA adapters in it.
 *
 * <p>{@link io.peft4j.gguf.GgufFile} memory-maps a GGUF file and validates all of it in one place
 * ({@code GgufValidator}) before a tensor is touched; {@link io.peft4j.gguf.GgufWriter} writes one
 * byte for byte as llama.cpp's {@code gguf-py} does. {@link io.peft4j.gguf.LlamaCppLoraExporter}
 * turns a PEFT LoRA adapter into the adapter GGUF that llama.cpp's {@code convert_lora_to_gguf.py}
 * writes (tensor names, shapes, q/k row permutation, output types), with rsLoRA and rank/alpha
 * patterns folded into the factors; {@link io.peft4j.gguf.LlamaCppLoraImporter} does the reverse;
 * {@link io.peft4j.gguf.LlamaCppCompatibility} says what llama.cpp cannot hold.
 */
package io.peft4j.gguf;
