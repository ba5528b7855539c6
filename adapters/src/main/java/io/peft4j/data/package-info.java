/**
 * Training data without Python: streaming validation of JSONL datasets (text, prompt/completion,
 * chat, preference) with file:line errors, and token statistics with DJL's Hugging Face tokenizer.
 */
package io.peft4j.data;
