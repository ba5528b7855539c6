package io.peft4j.extract;

import io.peft4j.output.OutputDirectory;
import io.peft4j.peft.AdapterConfig;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes an extracted adapter as PEFT saves one: {@code adapter_model.safetensors} with float32
 * {@code lora_A}/{@code lora_B} per module (plus whole tensors under their own names), and an
 * {@code adapter_config.json} with {@code r} = the largest rank, {@code lora_alpha = r}, and
 * {@code rank_pattern}/{@code alpha_pattern} giving every other module {@code alpha = rank}, so every
 * module's scaling is 1. With {@code uniformRank} every module is padded with zero rows and columns to
 * {@code r} instead, and the config has no patterns.
 */
final class AdapterFiles {

    private AdapterFiles() {}

    /**
     * Writes into the temporary output and returns the adapter's parameter count.
     *
     * @param config  the config to complete (target modules and any other fields already set)
     * @param whole   extra tensors written as they are, by adapter key
     */
    static long write(OutputDirectory out, List<ModuleRunner.Finished> modules, FactorSpill spill, AdapterConfig config,
                      Map<String, Tensor> whole, boolean uniformRank) {
        int r = Math.max(1, modules.stream().mapToInt(f -> f.row().rank()).max().orElse(1));
        List<TensorSpec> specs = new ArrayList<>();
        Map<String, Integer> rankPattern = new LinkedHashMap<>();
        long parameters = 0;
        for (ModuleRunner.Finished f : modules) {
            int k = uniformRank ? r : f.row().rank();
            specs.add(new TensorSpec(f.work().aName(), DType.F32, f.work().aShape(k)));
            specs.add(new TensorSpec(f.work().bName(), DType.F32, f.work().bShape(k)));
            parameters += (long) k * (f.row().rows() + f.row().cols());
            if (k != r) {
                rankPattern.put(f.work().module(), k);
            }
        }
        whole.forEach((name, t) -> specs.add(new TensorSpec(name, t.dtype(), t.shape())));
        parameters += whole.values().stream().mapToLong(Tensor::numel).sum();
        try (SafetensorsWriter writer = SafetensorsWriter.create(out.path().resolve(LoraAdapter.WEIGHTS_FILE), specs,
                Map.of("format", "pt"))) {
            for (ModuleRunner.Finished f : modules) {
                int k = f.row().rank();
                int rows = f.row().rows();
                int cols = f.row().cols();
                float[] a = spill.read(f.aOffset(), k * cols);
                float[] b = spill.read(f.bOffset(), rows * k);
                int width = uniformRank ? r : k;
                writer.write(f.work().aName(), java.util.Arrays.copyOf(a, width * cols));
                writer.write(f.work().bName(), padColumns(b, rows, k, width));
            }
            whole.forEach((name, t) -> writer.write(name, t.data()));
            writer.commit();
        }
        Map<String, Double> alphaPattern = new LinkedHashMap<>();
        rankPattern.forEach((module, k) -> alphaPattern.put(module, (double) k));
        config.with("r", r)
                .with("lora_alpha", r)
                .with("rank_pattern", rankPattern)
                .with("alpha_pattern", alphaPattern)
                .with("use_rslora", false)
                .with("use_dora", false)
                .writeTo(out.path());
        return parameters;
    }

    private static float[] padColumns(float[] m, int rows, int cols, int width) {
        if (cols == width) {
            return m;
        }
        float[] padded = new float[rows * width];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(m, i * cols, padded, i * width, cols);
        }
        return padded;
    }
}
