/**
 * The PEFT adapter format: {@code adapter_config.json} (unknown fields kept), the adapter's
 * tensors grouped into modules, and the mapping from adapter keys to base weight names.
 */
package io.peft4j.peft;
