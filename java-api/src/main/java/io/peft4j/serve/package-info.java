/**
 * Many LoRA adapters behind one OpenAI-compatible HTTP endpoint on one base model:
 * {@link io.peft4j.serve.AdapterServer} (what {@code peft4j serve} runs, and what a Java service
 * starts in-process), with requests for different adapters generated together in one batch
 * (PEFT's per-row {@code adapter_names}), adapters loaded and evicted least-recently-used, and
 * {@link io.peft4j.serve.AdapterClient} for its adapter endpoints and completions.
 */
package io.peft4j.serve;
