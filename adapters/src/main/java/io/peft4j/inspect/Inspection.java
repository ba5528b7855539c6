package io.peft4j.inspect;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * What {@code peft4j inspect} reports about a path: its tensors, totals and metadata, and for an
 * adapter directory the configuration summary. Serializes to the CLI's {@code --json} output.
 *
 * @param path the inspected path
 * @param kind {@code safetensors}, {@code sharded}, {@code adapter} or {@code gguf}
 * @param files the weight files read, in order
 * @param tensors every tensor, in file order
 * @param tensorCount the number of tensors
 * @param parameters the total number of elements
 * @param bytes the total size of the tensor data in bytes
 * @param metadata the {@code __metadata__} of the (first) file; for GGUF, every key-value pair as text
 * @param adapter the adapter summary, for an adapter directory; otherwise null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Inspection(String path, String kind, List<String> files, List<TensorRow> tensors, long tensorCount,
        long parameters, long bytes, Map<String, String> metadata, AdapterSummary adapter) {

    /**
     * One tensor.
     *
     * @param name the tensor name
     * @param dtype the safetensors dtype name (for GGUF, the ggml type: F32, Q8_0, ...)
     * @param shape the shape
     * @param bytes the data size in bytes
     */
    public record TensorRow(String name, String dtype, long[] shape, long bytes) {}

    /**
     * The configuration of an adapter and what it means per module.
     *
     * @param peftType {@code peft_type}
     * @param method a readable method name: LoRA, DoRA, rsLoRA, DoRA + rsLoRA, or the peft_type
     * @param taskType {@code task_type}, or null
     * @param baseModel {@code base_model_name_or_path}, or null
     * @param rank the default rank {@code r}
     * @param loraAlpha the default {@code lora_alpha}
     * @param targets {@code target_modules} as text
     * @param modulesToSave {@code modules_to_save}
     * @param rankPattern {@code rank_pattern}
     * @param alphaPattern {@code alpha_pattern}
     * @param trainableParameters the trainable parameters the file holds
     * @param modules every LoRA module with its kind, rank and scaling (empty for non-LoRA methods)
     * @param replacements base tensors the adapter replaces whole (e.g. a classifier head)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record AdapterSummary(String peftType, String method, String taskType, String baseModel, int rank,
            double loraAlpha, String targets, List<String> modulesToSave, Map<String, Integer> rankPattern,
            Map<String, Double> alphaPattern, long trainableParameters, List<ModuleRow> modules,
            List<String> replacements) {}

    /**
     * One LoRA module.
     *
     * @param module the base module name
     * @param kind the layer kind
     * @param rank its rank
     * @param scaling its scaling
     * @param baseShape the shape of the base weight it changes
     */
    public record ModuleRow(String module, String kind, int rank, double scaling, long[] baseShape) {}
}
