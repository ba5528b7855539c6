package io.peft4j.examples.bench;

import io.peft4j.peft.AdapterConfig;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Merge into a base larger than this machine's memory: a synthetic Llama-shaped bf16 base (hidden
 * 5120, MLP 13824, vocab 32000, as many layers as {@code --size-gb} needs; 48 layers for the default
 * 31 GB) in 5 GB shards written sparse (each a header, the data a hole that reads as zeros, so it
 * takes no disk), a random rank-16 adapter on every linear layer, merged by {@code ./peft4j merge}
 * with its wall time, peak RSS and peak anonymous memory sampled. Everything is deleted afterwards.
 *
 * <p>Usage: {@code examples/run bench.LargeMergeBench [--size-gb 31] [--dir DIR]} (the output takes
 * {@code size-gb} of real disk in {@code DIR}, default {@code $TMPDIR/peft4j-large-merge}).
 */
public final class LargeMergeBench {

    private static final int HIDDEN = 5120;
    private static final int MLP = 13824;
    private static final int VOCAB = 32000;
    private static final int RANK = 16;
    private static final long SHARD_BYTES = 5_000_000_000L;
    private static final Map<String, int[]> LINEAR = linear();

    private LargeMergeBench() {}

    /** Runs the benchmark; see the class comment for the arguments. */
    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i], args[i + 1]);
        }
        double sizeGb = Double.parseDouble(options.getOrDefault("--size-gb", "31"));
        Path dir = Path.of(options.getOrDefault("--dir", Path.of(System.getProperty("java.io.tmpdir"), "peft4j-large-merge").toString()));
        long perLayer = 2L * (LINEAR.values().stream().mapToLong(s -> (long) s[0] * s[1]).sum() + 2L * HIDDEN);
        int layers = (int) Math.max(1, Math.round((sizeGb * 1e9 - 4L * VOCAB * HIDDEN) / perLayer));
        MergeBench.fresh(dir);
        try {
            Path base = Files.createDirectories(dir.resolve("base"));
            long bytes = writeSparseBase(base, layers);
            Path adapter = writeAdapter(dir.resolve("adapter"), layers);
            System.out.printf(Locale.ROOT, "base: %d layers, %.1f GB of bf16 weights in %s (sparse: %.1f MB on disk); adapter: rank %d, all linear, %.0f MB%n",
                    layers, bytes / 1e9, base, diskUsage(base) / 1e6, RANK, MergeBench.size(adapter) / 1e6);
            System.out.printf(Locale.ROOT, "machine: %.1f GB of memory, %d cores, load %s%n", memTotalGb(),
                    Runtime.getRuntime().availableProcessors(), MeasuredProcess.load());
            MeasuredProcess merge = MeasuredProcess.run(List.of(MeasuredProcess.launcher().toString(), "merge",
                    "--base", base.toString(), "--adapter", adapter.toString(), "--out", dir.resolve("merged").toString()));
            System.out.printf(Locale.ROOT, "./peft4j merge: %.1f s (%.0f MB/s written), peak RSS %.0f MB, peak anonymous %.0f MB (load %s)%n",
                    merge.seconds(), MergeBench.size(dir.resolve("merged")) / 1e6 / merge.seconds(), merge.peakRssMb(),
                    merge.peakAnonMb(), MeasuredProcess.load());
        } finally {
            MergeBench.fresh(dir);
        }
    }

    /** The linear layers of one decoder layer: name to {@code [out, in]}. */
    private static Map<String, int[]> linear() {
        Map<String, int[]> m = new LinkedHashMap<>();
        for (String p : List.of("q_proj", "k_proj", "v_proj", "o_proj")) {
            m.put("self_attn." + p, new int[] {HIDDEN, HIDDEN});
        }
        m.put("mlp.gate_proj", new int[] {MLP, HIDDEN});
        m.put("mlp.up_proj", new int[] {MLP, HIDDEN});
        m.put("mlp.down_proj", new int[] {HIDDEN, MLP});
        return m;
    }

    /** Shards of at most 5 GB, each a valid safetensors header over a hole, plus the index; returns the data bytes. */
    private static long writeSparseBase(Path base, int layers) throws IOException {
        List<Map.Entry<String, long[]>> tensors = new ArrayList<>();
        tensors.add(Map.entry("model.embed_tokens.weight", new long[] {VOCAB, HIDDEN}));
        for (int l = 0; l < layers; l++) {
            for (Map.Entry<String, int[]> e : LINEAR.entrySet()) {
                tensors.add(Map.entry("model.layers." + l + "." + e.getKey() + ".weight", new long[] {e.getValue()[0], e.getValue()[1]}));
            }
            tensors.add(Map.entry("model.layers." + l + ".input_layernorm.weight", new long[] {HIDDEN}));
            tensors.add(Map.entry("model.layers." + l + ".post_attention_layernorm.weight", new long[] {HIDDEN}));
        }
        tensors.add(Map.entry("model.norm.weight", new long[] {HIDDEN}));
        tensors.add(Map.entry("lm_head.weight", new long[] {VOCAB, HIDDEN}));
        List<List<Map.Entry<String, long[]>>> shards = new ArrayList<>();
        long size = 0;
        long total = 0;
        for (Map.Entry<String, long[]> t : tensors) {
            long bytes = 2 * t.getValue()[0] * (t.getValue().length > 1 ? t.getValue()[1] : 1);
            if (shards.isEmpty() || size + bytes > SHARD_BYTES) {
                shards.add(new ArrayList<>());
                size = 0;
            }
            shards.getLast().add(t);
            size += bytes;
            total += bytes;
        }
        StringBuilder weightMap = new StringBuilder();
        for (int s = 0; s < shards.size(); s++) {
            String file = String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", s + 1, shards.size());
            StringBuilder json = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
            long offset = 0;
            for (Map.Entry<String, long[]> t : shards.get(s)) {
                long[] shape = t.getValue();
                long bytes = 2 * shape[0] * (shape.length > 1 ? shape[1] : 1);
                json.append(",\"").append(t.getKey()).append("\":{\"dtype\":\"BF16\",\"shape\":[").append(shape[0])
                        .append(shape.length > 1 ? "," + shape[1] : "").append("],\"data_offsets\":[").append(offset)
                        .append(',').append(offset + bytes).append("]}");
                offset += bytes;
                weightMap.append(weightMap.isEmpty() ? "" : ",").append('"').append(t.getKey()).append("\":\"").append(file).append('"');
            }
            json.append('}');
            while (json.length() % 8 != 0) {
                json.append(' ');
            }
            byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
            try (RandomAccessFile raf = new RandomAccessFile(base.resolve(file).toFile(), "rw")) {
                raf.setLength(8 + header.length + offset);
                raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
                raf.write(header);
            }
        }
        Files.writeString(base.resolve("model.safetensors.index.json"),
                "{\"metadata\":{\"total_size\":" + total + "},\"weight_map\":{" + weightMap + "}}");
        Files.writeString(base.resolve("config.json"), String.format(Locale.ROOT,
                "{\"model_type\":\"llama\",\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":%d,\"intermediate_size\":%d,"
                        + "\"num_hidden_layers\":%d,\"num_attention_heads\":40,\"num_key_value_heads\":40,\"vocab_size\":%d,"
                        + "\"tie_word_embeddings\":false,\"torch_dtype\":\"bfloat16\"}", HIDDEN, MLP, layers, VOCAB));
        return total;
    }

    /** Random float32 A and B (B scaled down) for every linear layer, and its adapter_config.json. */
    private static Path writeAdapter(Path dir, int layers) throws IOException {
        Files.createDirectories(dir);
        List<TensorSpec> specs = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            for (Map.Entry<String, int[]> e : LINEAR.entrySet()) {
                String module = "base_model.model.model.layers." + l + "." + e.getKey();
                specs.add(new TensorSpec(module + ".lora_A.weight", DType.F32, new long[] {RANK, e.getValue()[1]}));
                specs.add(new TensorSpec(module + ".lora_B.weight", DType.F32, new long[] {e.getValue()[0], RANK}));
            }
        }
        SplittableRandom random = new SplittableRandom(7);
        try (SafetensorsWriter out = SafetensorsWriter.create(dir.resolve("adapter_model.safetensors"), specs, Map.of("format", "pt"));
             Arena arena = Arena.ofConfined()) {
            for (TensorSpec spec : specs) {
                MemorySegment values = arena.allocate(spec.byteSize());
                double scale = spec.name().contains("lora_B") ? 0.001 : 0.02;
                for (long i = 0; i < spec.numel(); i++) {
                    values.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) ((random.nextDouble() - 0.5) * scale));
                }
                out.write(spec.name(), values);
            }
            out.commit();
        }
        AdapterConfig.lora(RANK, 2.0 * RANK, new ArrayList<>(LINEAR.keySet().stream().map(k -> k.substring(k.indexOf('.') + 1)).toList()))
                .writeTo(dir);
        return dir;
    }

    /** Bytes of disk {@code dir} really takes ({@code du -sk}). */
    private static long diskUsage(Path dir) throws IOException, InterruptedException {
        Process real = new ProcessBuilder("du", "-sk", dir.toString()).start();
        String out = new String(real.getInputStream().readAllBytes()).trim();
        real.waitFor();
        return Long.parseLong(out.split("\\s+")[0]) * 1024;
    }

    private static double memTotalGb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024 / 1e9;
            }
        }
        return Double.NaN;
    }
}
