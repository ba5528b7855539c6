package io.peft4j.examples.bench;

import io.peft4j.Peft;
import io.peft4j.TrainConfig;
import io.peft4j.TrainResult;
import io.peft4j.bridge.PythonException;
import io.peft4j.bridge.PythonRuntime;
import io.peft4j.estimate.Estimate;
import io.peft4j.estimate.Gpu;
import io.peft4j.estimate.Optimizer;
import io.peft4j.estimate.Precision;
import io.peft4j.estimate.TrainingPlan;
import io.peft4j.tuning.Targets;
import io.peft4j.tuning.TrainMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * LoRA and QLoRA (NF4, double quantization, {@code paged_adamw_8bit}) through {@link Peft#train} on a
 * CUDA GPU, on a random-weight Llama with the shape of a real ~0.5B model (built here, no download),
 * {@value #STEPS} steps each; prints the measured tokens/s and peak GPU memory beside what
 * {@code peft4j estimate} ({@link Peft#estimate}) says for the same job. Without a CUDA device it
 * fails with one line and exit code 3. Run it with {@code examples/gpu-check [WORK_DIR]}.
 */
public final class GpuCheck {

    static final int STEPS = 50;
    static final int BATCH = 8;
    static final int SEQ_LEN = 512;
    static final int RANK = 16;

    private GpuCheck() {}

    /** Runs the check in {@code args[0]} (default {@code $TMPDIR/peft4j-gpu-check}). */
    public static void main(String[] args) throws IOException {
        Path work = Files.createDirectories(Path.of(args.length > 0 ? args[0]
                : Path.of(System.getProperty("java.io.tmpdir"), "peft4j-gpu-check").toString()));
        PythonRuntime python = PythonRuntime.get();
        python.addPackage(GpuCheck.class, "peft4j_examples");
        Map<?, ?> device;
        try {
            device = python.callAs(Map.class, "peft4j_examples.gpu_check", "cuda_device");
        } catch (PythonException e) {
            System.err.println("gpu-check: " + e.getMessage());
            System.exit(3);
            return;
        }
        String name = (String) device.get("name");
        double memory = ((Number) device.get("memory_gib")).doubleValue();
        System.out.printf(Locale.ROOT, "GPU: %s, %.1f GiB (torch %s, CUDA %s)%n", name, memory, device.get("torch"), device.get("cuda"));
        Map<?, ?> model = python.callAs(Map.class, "peft4j_examples.gpu_check", "make_model", work.resolve("model").toString());
        Path base = Path.of((String) model.get("dir"));
        System.out.printf(Locale.ROOT, "model: Llama with Qwen2-0.5B's shape, %.0fM parameters, random bf16 weights, in %s%n",
                ((Number) model.get("parameters")).doubleValue() / 1e6, base);
        Path data = writeData(work.resolve("data.jsonl"));
        Gpu gpu = tableGpu(name, memory);
        System.out.printf(Locale.ROOT, "%d steps, batch %d, %d tokens per sequence, rank %d, all linear layers; estimate for %s%n%n",
                STEPS, BATCH, SEQ_LEN, RANK, gpu.hasThroughput() ? gpu.name() : name + " (not in the table: no time estimate)");
        System.out.printf(Locale.ROOT, "%-6s %-18s %12s %12s %14s %14s%n", "job", "optimizer", "tokens/s", "estimate", "peak GiB", "estimate");
        for (TrainMethod method : List.of(TrainMethod.LORA, TrainMethod.QLORA)) {
            python.call("peft4j_examples.gpu_check", "reset_peak");
            TrainResult result = Peft.train(TrainConfig.builder().baseModel(base).data(data)
                    .outputDir(work.resolve(method.name().toLowerCase(Locale.ROOT))).method(method).rank(RANK)
                    .alpha(2.0 * RANK).targets(Targets.allLinear()).maxSteps(STEPS).batchSize(BATCH)
                    .maxLength(SEQ_LEN).device("cuda").build());
            double peak = ((Number) python.call("peft4j_examples.gpu_check", "peak_gib")).doubleValue();
            long tokens = (long) STEPS * BATCH * SEQ_LEN;
            Estimate estimate = Peft.estimate(base.toString(), plan(method), gpu, tokens, null);
            String estimatedSpeed = estimate.time() == null ? "-"
                    : String.format(Locale.ROOT, "%.0f", tokens / estimate.time().seconds());
            System.out.printf(Locale.ROOT, "%-6s %-18s %12.0f %12s %14.2f %14.2f%n", method.name().toLowerCase(Locale.ROOT),
                    result.optimizer(), result.tokensPerSecond(), estimatedSpeed, peak, estimate.memory().total() / (double) (1L << 30));
            result.notes().forEach(n -> System.out.println("       note: " + n));
        }
    }

    /** What the bridge runs: LoRA in fp32 with AdamW; QLoRA NF4 + double quant, bf16 compute, checkpointing, paged 8-bit AdamW. */
    private static TrainingPlan plan(TrainMethod method) {
        TrainingPlan.Builder plan = TrainingPlan.builder().rank(RANK).batchSize(BATCH).seqLen(SEQ_LEN)
                .targets(Targets.allLinear());
        if (method == TrainMethod.QLORA) {
            return plan.method(TrainMethod.QLORA).precision(Precision.BF16).optimizer(Optimizer.PAGED_ADAMW_8BIT)
                    .gradientCheckpointing(true).doubleQuant(true).upcastNonQuantized(true).build();
        }
        return plan.method(TrainMethod.LORA).precision(Precision.FP32).optimizer(Optimizer.ADAMW).build();
    }

    /** The table's GPU whose name words all appear in the device's name, the closest in memory; else memory only. */
    static Gpu tableGpu(String deviceName, double memoryGiB) {
        Set<String> words = Set.of(deviceName.toLowerCase(Locale.ROOT).split("[^a-z0-9]+"));
        List<Gpu> named = Gpu.KNOWN.stream().filter(g -> Arrays.stream(g.name().toLowerCase(Locale.ROOT).split("-"))
                .filter(w -> !w.matches("\\d+gb")).allMatch(words::contains)).toList();
        if (named.isEmpty()) {
            named = Gpu.KNOWN.stream().filter(g -> words.contains(g.name().toLowerCase(Locale.ROOT).split("-")[0])).toList();
        }
        return named.stream().min(Comparator.comparingDouble(g -> Math.abs(g.memoryGiB() - memoryGiB)))
                .orElse(Gpu.withMemory(memoryGiB, 0));
    }

    /** {@code BATCH * STEPS} plain-text records, each longer than {@code SEQ_LEN} tokens (truncated to it). */
    private static Path writeData(Path file) throws IOException {
        String sentence = "Low-rank adaptation trains two thin matrices beside each frozen weight of the base model. ";
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < BATCH * STEPS; i++) {
            lines.add("{\"text\": \"" + i + ": " + sentence.repeat(16) + "\"}");
        }
        return Files.write(file, lines);
    }
}
