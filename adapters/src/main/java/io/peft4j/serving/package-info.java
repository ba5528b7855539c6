/**
 * Whether a serving engine can load an adapter as it is (vLLM's multi-LoRA limits), with the
 * reasons when it cannot.
 */
package io.peft4j.serving;
