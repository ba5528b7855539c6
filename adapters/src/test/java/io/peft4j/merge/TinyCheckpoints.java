package io.peft4j.merge;

import io.peft4j.peft.AdapterConfig;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small base checkpoints and LoRA adapters written from Java, for tests that need no PEFT. */
final class TinyCheckpoints {

    private TinyCheckpoints() {}

    /** A tensor to write: name, dtype, shape, values. */
    record Entry(String name, DType dtype, long[] shape, float[] values) {}

    static Entry random(String name, DType dtype, Random rnd, long... shape) {
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return new Entry(name, dtype, shape, v);
    }

    static void writeSafetensors(Path file, List<Entry> entries) {
        List<TensorSpec> specs = entries.stream().map(e -> new TensorSpec(e.name(), e.dtype(), e.shape())).toList();
        try (SafetensorsWriter w = SafetensorsWriter.create(file, specs, Map.of("format", "pt"))) {
            entries.forEach(e -> w.write(e.name(), e.values()));
            w.commit();
        }
    }

    /** A two-layer base with {@code prefix + "layers.N.proj.weight"} [16, 12] and a bias, plus config and tokenizer files. */
    static Path base(Path dir, String prefix, DType dtype, String configJson) throws IOException {
        Files.createDirectories(dir);
        Random rnd = new Random(1);
        List<Entry> entries = new ArrayList<>();
        for (int layer = 0; layer < 2; layer++) {
            entries.add(random(prefix + "layers." + layer + ".proj.weight", dtype, rnd, 16, 12));
            entries.add(random(prefix + "layers." + layer + ".proj.bias", dtype, rnd, 16));
        }
        entries.add(new Entry(prefix + "position_ids", DType.I64, new long[] {4}, null));
        writeSafetensorsWithInts(dir.resolve("model.safetensors"), entries);
        Files.writeString(dir.resolve("config.json"), configJson);
        Files.writeString(dir.resolve("tokenizer.json"), "{\"not\": \"a real tokenizer\"}");
        return dir;
    }

    private static void writeSafetensorsWithInts(Path file, List<Entry> entries) {
        List<TensorSpec> specs = entries.stream().map(e -> new TensorSpec(e.name(), e.dtype(), e.shape())).toList();
        try (SafetensorsWriter w = SafetensorsWriter.create(file, specs, Map.of("format", "pt"))) {
            for (Entry e : entries) {
                if (e.values() == null) {
                    w.write(e.name(), java.lang.foreign.MemorySegment.ofArray(new byte[(int) e.shape()[0] * 8]));
                } else {
                    w.write(e.name(), e.values());
                }
            }
            w.commit();
        }
    }

    /** A rank-{@code r} adapter on {@code modules} with A [r, in] and B [out, r]. */
    static Path adapter(Path dir, int r, int in, int out, List<String> modules, long seed,
                        Map<String, Object> extraConfig) throws IOException {
        Files.createDirectories(dir);
        Random rnd = new Random(seed);
        List<Entry> entries = new ArrayList<>();
        for (String m : modules) {
            entries.add(random("base_model.model." + m + ".lora_A.weight", DType.F32, rnd, r, in));
            entries.add(random("base_model.model." + m + ".lora_B.weight", DType.F32, rnd, out, r));
            if (Boolean.TRUE.equals(extraConfig.get("use_dora"))) {
                entries.add(random("base_model.model." + m + ".lora_magnitude_vector", DType.F32, rnd, out));
            }
        }
        writeSafetensors(dir.resolve("adapter_model.safetensors"), entries);
        AdapterConfig config = AdapterConfig.lora(r, 2.0 * r, List.of("proj"));
        for (Map.Entry<String, Object> e : new LinkedHashMap<>(extraConfig).entrySet()) {
            config = config.with(e.getKey(), e.getValue());
        }
        config.writeTo(dir);
        return dir;
    }
}
