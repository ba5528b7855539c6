package io.peft4j.extract;

import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A tiny BASE and TUNED written from Java: TUNED = BASE + a random rank-{@code k} product + Gaussian
 * noise of relative size {@code noise} for every changed weight; the norm weight and the embedding
 * are changed or not on request.
 */
final class TinyPair {

    /** Module name to {@code [rows, cols]}: Llama-like names, 2 layers. */
    static final Map<String, int[]> MODULES = new LinkedHashMap<>();

    static {
        for (int layer = 0; layer < 2; layer++) {
            String p = "model.layers." + layer + ".";
            MODULES.put(p + "self_attn.q_proj", new int[] {48, 32});
            MODULES.put(p + "self_attn.v_proj", new int[] {16, 32});
            MODULES.put(p + "mlp.down_proj", new int[] {32, 64});
        }
        MODULES.put("lm_head", new int[] {100, 32});
    }

    final Path base;
    final Path tuned;
    /** The exact task vectors of the changed modules. */
    final Map<String, float[]> deltas = new LinkedHashMap<>();

    private TinyPair(Path base, Path tuned) {
        this.base = base;
        this.tuned = tuned;
    }

    /**
     * Writes the pair under {@code dir}. {@code ranks} gives the modules that get a delta and its rank;
     * {@code conv1d} stores every weight transposed (GPT-2 style, model_type gpt2).
     */
    static TinyPair write(Path dir, Map<String, Integer> ranks, double noise, boolean changeNormAndEmbedding,
                          boolean conv1d, DType dtype) throws IOException {
        TinyPair pair = new TinyPair(Files.createDirectories(dir.resolve("base")), Files.createDirectories(dir.resolve("tuned")));
        Random rnd = new Random(11);
        Map<String, float[]> base = new LinkedHashMap<>();
        Map<String, float[]> tuned = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        base.put("model.embed_tokens.weight", gaussian(rnd, 100 * 32, 1));
        shapes.put("model.embed_tokens.weight", new long[] {100, 32});
        for (var e : MODULES.entrySet()) {
            int rows = e.getValue()[0];
            int cols = e.getValue()[1];
            String name = e.getKey() + ".weight";
            float[] w = gaussian(rnd, rows * cols, 0.1);
            base.put(name, w);
            shapes.put(name, conv1d ? new long[] {cols, rows} : new long[] {rows, cols});
            if (ranks.containsKey(e.getKey())) {
                float[] d = lowRankPlusNoise(rnd, rows, cols, ranks.get(e.getKey()), noise);
                pair.deltas.put(e.getKey(), d);
                float[] t = new float[w.length];
                for (int i = 0; i < t.length; i++) {
                    t[i] = w[i] + d[i];
                }
                tuned.put(name, t);
            }
        }
        base.put("model.norm.weight", gaussian(rnd, 32, 1));
        shapes.put("model.norm.weight", new long[] {32});
        for (var e : base.entrySet()) {
            tuned.putIfAbsent(e.getKey(), e.getValue().clone());
        }
        if (changeNormAndEmbedding) {
            tuned.get("model.norm.weight")[0] += 1;
            tuned.get("model.embed_tokens.weight")[5] += 1;
        }
        if (conv1d) {
            for (var e : shapes.entrySet()) {
                if (e.getValue().length == 2 && !e.getKey().contains("embed")) {
                    int rows = (int) e.getValue()[1];
                    int cols = (int) e.getValue()[0];
                    base.put(e.getKey(), transpose(base.get(e.getKey()), rows, cols));
                    tuned.put(e.getKey(), transpose(tuned.get(e.getKey()), rows, cols));
                }
            }
        }
        String config = "{\"model_type\": \"" + (conv1d ? "gpt2" : "llama") + "\", \"vocab_size\": 100,"
                + " \"architectures\": [\"" + (conv1d ? "GPT2LMHeadModel" : "LlamaForCausalLM") + "\"]}";
        write(pair.base.resolve("model.safetensors"), base, shapes, dtype);
        write(pair.tuned.resolve("model.safetensors"), tuned, shapes, dtype);
        Files.writeString(pair.base.resolve("config.json"), config);
        Files.writeString(pair.tuned.resolve("config.json"), config);
        return pair;
    }

    static float[] lowRankPlusNoise(Random rnd, int rows, int cols, int rank, double noise) {
        float[] b = gaussian(rnd, rows * rank, 1);
        float[] a = gaussian(rnd, rank * cols, 1);
        double[] low = new double[rows * cols];
        double lowNorm = 0;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double x = 0;
                for (int k = 0; k < rank; k++) {
                    x += b[i * rank + k] * a[k * cols + j];
                }
                low[i * cols + j] = x;
                lowNorm += x * x;
            }
        }
        float[] n = gaussian(rnd, rows * cols, 1);
        double noiseNorm = 0;
        for (float x : n) {
            noiseNorm += x * x;
        }
        double scale = 0.05 / Math.sqrt(lowNorm / (rows * cols));
        double noiseScale = noise * Math.sqrt(lowNorm / noiseNorm);
        float[] d = new float[rows * cols];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) ((low[i] + noiseScale * n[i]) * scale);
        }
        return d;
    }

    private static float[] gaussian(Random rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextGaussian() * scale);
        }
        return v;
    }

    static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = m[i * cols + j];
            }
        }
        return t;
    }

    private static void write(Path file, Map<String, float[]> values, Map<String, long[]> shapes, DType dtype) {
        List<TensorSpec> specs = shapes.entrySet().stream().map(e -> new TensorSpec(e.getKey(), dtype, e.getValue())).toList();
        try (SafetensorsWriter w = SafetensorsWriter.create(file, specs, Map.of("format", "pt"))) {
            values.forEach(w::write);
            w.commit();
        }
    }
}
