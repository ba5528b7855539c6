package io.peft4j.inspect;

import io.peft4j.gguf.GgufFile;
import io.peft4j.gguf.GgufTensorInfo;
import io.peft4j.peft.AdapterConfig;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.safetensors.Safetensors;
import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.ShardedSafetensors;
import io.peft4j.safetensors.TensorInfo;
import io.peft4j.safetensors.TensorSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Builds an {@link Inspection} of a safetensors file, a sharded model, an adapter directory or a GGUF file. */
public final class Inspector {

    private Inspector() {}

    /**
     * Inspects {@code path}; an adapter directory is recognised by its {@code adapter_config.json},
     * a GGUF file by its name or its magic bytes.
     */
    public static Inspection inspect(Path path) {
        if (Files.isDirectory(path) && Files.isRegularFile(path.resolve(AdapterConfig.FILE_NAME))) {
            return inspectAdapter(path);
        }
        if (Files.isRegularFile(path) && (path.getFileName().toString().endsWith(".gguf") || GgufFile.looksLikeGguf(path))) {
            return inspectGguf(path);
        }
        try (TensorSource source = Safetensors.open(path)) {
            String kind = source instanceof SafetensorsFile ? "safetensors" : "sharded";
            return withTensors(path, kind, source, null);
        }
    }

    private static Inspection inspectAdapter(Path dir) {
        AdapterConfig config = AdapterConfig.read(dir);
        if (!config.peftType().equals("LORA")) {
            try (SafetensorsFile file = SafetensorsFile.open(LoraAdapter.weightsFile(dir))) {
                long trainable = file.tensors().stream().mapToLong(TensorInfo::numel).sum();
                return withTensors(dir, "adapter", file, summary(config, config.peftType(), trainable, List.of(), List.of()));
            }
        }
        try (LoraAdapter adapter = LoraAdapter.load(dir)) {
            List<Inspection.ModuleRow> modules = adapter.modules().stream()
                    .map(m -> new Inspection.ModuleRow(m.moduleName(), m.kind().name(), m.rank(), m.scaling(), m.baseWeightShape()))
                    .toList();
            List<String> replaced = new ArrayList<>(adapter.replacements().keySet());
            Inspection.AdapterSummary summary = summary(config, method(config), adapter.parameterCount(), modules, replaced);
            return withTensors(dir, "adapter", adapter.tensors(), summary);
        }
    }

    /** A GGUF file: its metadata (values as text, long arrays shortened) and tensors in ggml's types. */
    private static Inspection inspectGguf(Path path) {
        try (GgufFile file = GgufFile.open(path)) {
            List<Inspection.TensorRow> rows = new ArrayList<>();
            long parameters = 0;
            long bytes = 0;
            for (GgufTensorInfo t : file.tensors()) {
                rows.add(new Inspection.TensorRow(t.name(), t.type().name(), t.shape(), t.byteSize()));
                parameters += t.numel();
                bytes += t.byteSize();
            }
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put("GGUF.version", String.valueOf(file.version()));
            file.metadata().forEach((k, v) -> metadata.put(k, v.toString()));
            return new Inspection(path.toString(), "gguf", List.of(path.toString()), rows, rows.size(), parameters, bytes,
                    metadata, null);
        }
    }

    private static String method(AdapterConfig c) {
        if (c.useDora() && c.useRslora()) {
            return "DoRA + rsLoRA";
        }
        return c.useDora() ? "DoRA" : c.useRslora() ? "rsLoRA" : "LoRA";
    }

    private static Inspection.AdapterSummary summary(AdapterConfig c, String method, long trainable,
            List<Inspection.ModuleRow> modules, List<String> replacements) {
        return new Inspection.AdapterSummary(c.peftType(), method, c.taskType().orElse(null),
                c.baseModelNameOrPath().orElse(null), c.rank(), c.loraAlpha(), c.targetModules().describe(),
                c.modulesToSave(), c.rankPattern(), c.alphaPattern(), trainable, modules, replacements);
    }

    private static Inspection withTensors(Path path, String kind, TensorSource source, Inspection.AdapterSummary adapter) {
        List<Inspection.TensorRow> rows = new ArrayList<>();
        Set<String> files = new LinkedHashSet<>();
        long parameters = 0;
        long bytes = 0;
        for (TensorInfo t : source.tensors()) {
            rows.add(new Inspection.TensorRow(t.name(), t.dtype().safetensorsName(), t.shape(), t.byteSize()));
            parameters += t.numel();
            bytes += t.byteSize();
        }
        if (source instanceof ShardedSafetensors sharded) {
            sharded.shards().forEach(s -> files.add(s.path().toString()));
        } else {
            files.add(source.path().toString());
        }
        return new Inspection(path.toString(), kind, List.copyOf(files), rows, rows.size(), parameters, bytes,
                source.metadata(), adapter);
    }
}
