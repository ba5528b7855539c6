package io.peft4j.examples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.Peft;
import io.peft4j.TrainConfig;
import io.peft4j.TrainResult;
import io.peft4j.TrainStep;
import io.peft4j.TrainingListener;
import io.peft4j.bridge.PythonEnvironment;
import io.peft4j.bridge.PythonRuntime;
import io.peft4j.tuning.Targets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What training from the JVM costs: the same LoRA job on the tiny Llama, through {@link Peft#train}
 * (embedded Python, a Java listener called at every step) and through the venv's python running
 * {@code python -m peft4j_examples.bench_train} (the same bridge function, a Python listener), in one
 * run, alternating. The Python job uses the JVM run's own resolved {@code train_config.json}, so both
 * do exactly the same work. Prints tokens/s of the training loop per run, the medians, and the ratio.
 *
 * <p>Usage: {@code TrainOverheadBench [rounds=3] [steps=60]}; needs the Python environment
 * ({@code PEFT4J_PYTHON} or the managed one).
 */
public final class TrainOverheadBench {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainOverheadBench() {}

    /** Runs the benchmark. */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        Path work = Files.createTempDirectory("peft4j-train-bench");
        PythonRuntime python = PythonRuntime.get();
        Path base = work.resolve("tiny");
        python.call("tiny", "make_tiny_llama", base.toString(), 0);
        Path data = writeData(work.resolve("data.jsonl"));

        List<Double> jvm = new ArrayList<>();
        List<Double> plain = new ArrayList<>();
        runJvm(base, data, work.resolve("warmup"), 5); // first-use imports and allocations, not measured
        for (int round = 1; round <= rounds; round++) {
            Path jvmOut = work.resolve("jvm-" + round);
            TrainResult result = runJvm(base, data, jvmOut, steps);
            jvm.add(result.tokensPerSecond());
            double pythonTps = runPython(python.environment(), jvmOut.resolve("train_config.json"), work.resolve("py-" + round));
            plain.add(pythonTps);
            System.out.printf(Locale.ROOT, "round %d: JVM (Peft.train) %.0f tok/s, plain Python %.0f tok/s, final loss %.4f%n",
                    round, result.tokensPerSecond(), pythonTps, result.finalLoss().orElse(Double.NaN));
        }
        double jvmMedian = median(jvm);
        double pythonMedian = median(plain);
        System.out.printf(Locale.ROOT, "median tokens/s: JVM %.0f, plain Python %.0f; JVM/Python throughput ratio %.3f (overhead %.1f%%)%n",
                jvmMedian, pythonMedian, jvmMedian / pythonMedian, 100 * (1 - jvmMedian / pythonMedian));
    }

    private static TrainResult runJvm(Path base, Path data, Path out, int steps) {
        AtomicLong seen = new AtomicLong();
        TrainConfig config = TrainConfig.builder().baseModel(base).data(data).outputDir(out).maxSteps(steps)
                .batchSize(8).maxLength(64).learningRate(1e-2).targets(Targets.allLinear()).seed(1).build();
        TrainResult result = Peft.train(config, new TrainingListener() {
            @Override
            public void onStep(TrainStep step) {
                seen.incrementAndGet();
            }
        });
        if (seen.get() != steps) {
            throw new IllegalStateException("listener saw " + seen.get() + " of " + steps + " steps");
        }
        return result;
    }

    private static double runPython(PythonEnvironment env, Path jvmConfig, Path out) throws IOException, InterruptedException {
        ObjectNode request = (ObjectNode) JSON.readTree(jvmConfig.toFile()).get("request");
        ((ObjectNode) request.get("config")).put("output_dir", out.toString());
        Path configFile = Files.writeString(out.resolveSibling(out.getFileName() + ".json"), JSON.writeValueAsString(request));
        Path examples = PythonRuntime.get().addPackage(TrainOverheadBench.class, "peft4j_examples");
        ProcessBuilder pb = new ProcessBuilder(env.pythonExecutable().toString(), "-m", "peft4j_examples.bench_train", configFile.toString());
        pb.environment().put("PYTHONPATH", env.bridgePath() + java.io.File.pathSeparator + examples);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process process = pb.start();
        String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException("python bench_train failed: " + stdout);
        }
        String[] lines = stdout.strip().split("\n");
        JsonNode result = JSON.readTree(lines[lines.length - 1]).get("result");
        return result.get("tokens_per_second").asDouble();
    }

    private static Path writeData(Path file) throws IOException {
        String[] names = {"alice", "bob", "carol", "dave"};
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            String name = names[i % names.length];
            lines.add("{\"prompt\": \"Greet " + name + ":\", \"completion\": \" hello " + name + ", the cat sat on the mat.\"}");
        }
        return Files.write(file, lines);
    }

    private static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }
}
