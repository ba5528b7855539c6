/**
 * A Hugging Face Hub client (search, model info, file trees, downloads and uploads) that reads and
 * writes the same cache as Python's {@code huggingface_hub}.
 */
package io.peft4j.hub;
