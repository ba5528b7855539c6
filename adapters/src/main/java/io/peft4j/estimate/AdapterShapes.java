package io.peft4j.estimate;

import io.peft4j.tuning.Targets;
import java.util.ArrayList;
import java.util.List;

/**
 * The trainable tensors a LoRA or DoRA adapter adds to a model, named as PEFT names them
 * ({@code <module>.lora_A.weight [r, in]}, {@code <module>.lora_B.weight [out, r]}; for embeddings
 * {@code lora_embedding_A [r, num]} and {@code lora_embedding_B [dim, r]}; for DoRA also
 * {@code lora_magnitude_vector [out]}). Their total is PEFT's {@code get_nb_trainable_parameters()}.
 *
 * @param modules the adapted modules
 * @param tensors the adapter's trainable tensors
 */
public record AdapterShapes(List<ModuleShape> modules, List<TensorShape> tensors) {

    /** Copies the lists so the record stays immutable. */
    public AdapterShapes {
        modules = List.copyOf(modules);
        tensors = List.copyOf(tensors);
    }

    /** The adapter of rank {@code rank} on the modules {@code targets} selects in {@code model}. */
    public static AdapterShapes of(ModelShapes model, Targets targets, int rank, boolean dora) {
        if (rank < 1) {
            throw new EstimateException("rank must be at least 1, got " + rank);
        }
        List<ModuleShape> modules = TargetSelection.select(targets, model);
        List<TensorShape> tensors = new ArrayList<>();
        for (ModuleShape m : modules) {
            boolean embedding = m.kind() == ModuleShape.Kind.EMBEDDING;
            String a = embedding ? ".lora_embedding_A" : ".lora_A.weight";
            String b = embedding ? ".lora_embedding_B" : ".lora_B.weight";
            tensors.add(new TensorShape(m.name() + a, new long[] {rank, m.inFeatures()}));
            tensors.add(new TensorShape(m.name() + b, new long[] {m.outFeatures(), rank}));
            if (dora) {
                tensors.add(new TensorShape(m.name() + ".lora_magnitude_vector", new long[] {m.outFeatures()}));
            }
        }
        return new AdapterShapes(modules, tensors);
    }

    /** The number of trainable parameters. */
    public long parameterCount() {
        return tensors.stream().mapToLong(TensorShape::numel).sum();
    }
}
