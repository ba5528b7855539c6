package io.peft4j.diffusion;

import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.TensorSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Small safetensors files with the keys a test spells out: random factors, scalar alphas. These
 * test peft4j's parsing and refusals; agreement with diffusers is {@link DiffusersCrossCheckTest}'s.
 */
final class TestFiles {

    private final Map<String, long[]> shapes = new LinkedHashMap<>();
    private final Map<String, Double> scalars = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private DType dtype = DType.F32;

    /** A pair {@code stem + down}, {@code stem + up} of a Linear LoRA {@code out x in} of rank {@code r}. */
    TestFiles pair(String down, String up, int r, int in, int out) {
        shapes.put(down, new long[] {r, in});
        shapes.put(up, new long[] {out, r});
        return this;
    }

    /** A kohya Linear module: {@code <stem>.lora_down.weight}, {@code .lora_up.weight}, and {@code .alpha} unless null. */
    TestFiles kohya(String stem, int r, int in, int out, Double alpha) {
        pair(stem + ".lora_down.weight", stem + ".lora_up.weight", r, in, out);
        if (alpha != null) {
            scalars.put(stem + ".alpha", alpha);
        }
        return this;
    }

    /** Any tensor. */
    TestFiles tensor(String name, long... shape) {
        shapes.put(name, shape);
        return this;
    }

    /** A header entry. */
    TestFiles metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** The dtype of factors and alphas. */
    TestFiles dtype(DType value) {
        this.dtype = value;
        return this;
    }

    Path write(Path file) {
        Random random = new Random(file.getFileName().toString().hashCode());
        List<TensorSpec> specs = new ArrayList<>();
        shapes.forEach((name, shape) -> specs.add(new TensorSpec(name, dtype, shape)));
        scalars.forEach((name, value) -> specs.add(new TensorSpec(name, dtype, new long[0])));
        Map<String, String> header = new LinkedHashMap<>(metadata);
        header.putIfAbsent("format", "pt");
        try (SafetensorsWriter w = SafetensorsWriter.create(file, specs, header)) {
            shapes.forEach((name, shape) -> {
                long n = 1;
                for (long d : shape) {
                    n *= d;
                }
                float[] v = new float[(int) n];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) random.nextGaussian();
                }
                w.write(name, v);
            });
            scalars.forEach((name, value) -> w.write(name, new float[] {value.floatValue()}));
            w.commit();
        }
        return file;
    }
}
