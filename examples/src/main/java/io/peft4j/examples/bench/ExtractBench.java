package io.peft4j.examples.bench;

import io.peft4j.Peft;
import io.peft4j.extract.ExtractOptions;
import io.peft4j.extract.ExtractReport;
import io.peft4j.extract.ModuleSelection;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraModule;
import io.peft4j.safetensors.Safetensors;
import io.peft4j.safetensors.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Adapter extraction, side by side: {@code peft4j extract} (randomized range finder, streaming)
 * against {@code mergekit-extract-lora} (mergekit 0.1.5, a full {@code torch.linalg.svd} per module),
 * both on CPU, each in its own process with its memory sampled, on the same synthetic Llama-shaped
 * bf16 pair (about 220M parameters; every linear layer changed by a full-rank update with a
 * power-law spectrum, {@code examples/src/main/python/extract_bench.py}) at the same maximum rank.
 * Both extract every linear layer but the output head (mergekit with {@code -e embed_tokens -e lm_head
 * --skip-undecomposable}, so neither saves embeddings or norms). Then, per module, the relative
 * reconstruction error {@code ||delta - s B A||_F / ||delta||_F} of each adapter, computed here by the
 * same code for both, and their ratio (peft4j's must be at most 1.01x mergekit's).
 *
 * <p>Usage: {@code PEFT4J_PYTHON=venv MERGEKIT=path/to/mergekit-extract-lora ExtractBench [WORK_DIR [RANK [LAYERS]]]}
 * (default {@code $TMPDIR/peft4j-extract-bench}, rank 32, all 12 layers; {@code LAYERS} n extracts the
 * linear modules of the first n layers only, both tools, for a busy machine). Wall times are whole
 * processes, start-up included.
 */
public final class ExtractBench {

    private static final String JAVA_HEAP = "64m";

    private ExtractBench() {}

    /** Runs the benchmark, or with {@code --child BASE TUNED OUT RANK} one timed extraction. */
    public static void main(String[] args) throws Exception {
        if (args.length == 6 && args[0].equals("--child")) {
            long start = System.nanoTime();
            ExtractReport r = Peft.extract(ExtractOptions.fromModels(Path.of(args[1]), Path.of(args[2]), Path.of(args[3]))
                    .maxRank(Integer.parseInt(args[4])).targets(ModuleSelection.regex(args[5] + ".*")).build());
            System.out.printf(Locale.ROOT, "{\"seconds\": %.4f, \"modules\": %d}%n", (System.nanoTime() - start) / 1e9, r.modules().size());
            return;
        }
        Path work = Path.of(args.length > 0 ? args[0] : Path.of(System.getProperty("java.io.tmpdir"), "peft4j-extract-bench").toString());
        int rank = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        int layers = args.length > 2 ? Integer.parseInt(args[2]) : 12;
        StringBuilder alternatives = new StringBuilder();
        for (int i = 0; i < layers; i++) {
            alternatives.append(i == 0 ? "" : "|").append(i);
        }
        String linear = "model\\.layers\\.(" + alternatives + ")\\.(self_attn|mlp)\\.";
        generate(work);
        Path base = work.resolve("base");
        Path tuned = work.resolve("tuned");
        String loadBefore = Files.readString(Path.of("/proc/loadavg")).strip();

        Path theirs = MergeBench.fresh(work.resolve("mergekit-r" + rank));
        MeasuredProcess mergekit = MeasuredProcess.wall(List.of(mergekit(), "--model", tuned.toString(), "--base-model",
                base.toString(), "--out-path", theirs.toString(), "--max-rank", Integer.toString(rank),
                "-e", "embed_tokens", "-e", "lm_head", "-i", "^" + linear, "--skip-undecomposable"));
        Path ours = MergeBench.fresh(work.resolve("peft4j-r" + rank));
        MeasuredProcess java = MeasuredProcess.wall(MeasuredProcess.java(JAVA_HEAP, ExtractBench.class, "--child",
                base.toString(), tuned.toString(), ours.toString(), Integer.toString(rank), linear));
        String loadAfter = Files.readString(Path.of("/proc/loadavg")).strip();

        List<double[]> errors = errors(base, tuned, ours, theirs);
        System.out.printf(Locale.ROOT, "pair: %s (%.0f MB each, bf16), rank %d, %d modules (the first %d layers)%n", work,
                MergeBench.size(base) / 1e6, rank, errors.size(), layers);
        System.out.printf(Locale.ROOT, "%-34s %8s %14s %14s%n", "", "wall s", "peak RSS MB", "peak anon MB");
        System.out.printf(Locale.ROOT, "%-34s %8.2f %14.0f %14.0f%n", "mergekit-extract-lora (full SVD)", mergekit.seconds(),
                mergekit.peakRssMb(), mergekit.peakAnonMb());
        System.out.printf(Locale.ROOT, "%-34s %8.2f %14.0f %14.0f%n", "peft4j extract (-Xmx" + JAVA_HEAP + ")", java.seconds(),
                java.peakRssMb(), java.peakAnonMb());
        System.out.printf(Locale.ROOT, "speed-up %.2fx; memory %.2fx of mergekit's peak RSS, %.2fx of its peak anonymous memory%n",
                mergekit.seconds() / java.seconds(), java.peakRssMb() / mergekit.peakRssMb(), java.peakAnonMb() / mergekit.peakAnonMb());
        double worst = errors.stream().mapToDouble(e -> e[0] / e[1]).max().orElseThrow();
        double meanOurs = errors.stream().mapToDouble(e -> e[0]).average().orElseThrow();
        double meanTheirs = errors.stream().mapToDouble(e -> e[1]).average().orElseThrow();
        System.out.printf(Locale.ROOT, "relative error per module: peft4j mean %.6f, mergekit mean %.6f; worst ratio peft4j/mergekit %.5f (goal <= 1.01)%n",
                meanOurs, meanTheirs, worst);
        System.out.printf("machine: %d CPUs, load average before %s, after %s%n", Runtime.getRuntime().availableProcessors(),
                loadBefore, loadAfter);
    }

    /** Per module {@code [ours, mergekit's]} relative errors against the real task vector, in float64. */
    private static List<double[]> errors(Path base, Path tuned, Path ours, Path theirs) {
        List<double[]> rows = new ArrayList<>();
        try (TensorSource b = Safetensors.open(base); TensorSource t = Safetensors.open(tuned);
             LoraAdapter x = LoraAdapter.load(ours); LoraAdapter y = LoraAdapter.load(theirs)) {
            for (LoraModule m : x.modules()) {
                LoraModule n = y.module(m.moduleName()).orElseThrow(() -> new IllegalStateException(
                        "mergekit's adapter lacks " + m.moduleName()));
                float[] w = b.tensor(m.baseWeightName()).toFloatArray();
                float[] v = t.tensor(m.baseWeightName()).toFloatArray();
                float[] dx = m.deltaWeight();
                float[] dy = n.deltaWeight();
                double ex = 0;
                double ey = 0;
                double norm = 0;
                for (int i = 0; i < w.length; i++) {
                    double d = (double) v[i] - w[i];
                    ex += (d - dx[i]) * (d - dx[i]);
                    ey += (d - dy[i]) * (d - dy[i]);
                    norm += d * d;
                }
                rows.add(new double[] {Math.sqrt(ex / norm), Math.sqrt(ey / norm)});
            }
            if (y.modules().size() != x.modules().size()) {
                throw new IllegalStateException("mergekit extracted " + y.modules().size() + " modules, peft4j " + x.modules().size());
            }
        }
        rows.sort(Comparator.comparingDouble(e -> -e[0] / e[1]));
        return rows;
    }

    private static String mergekit() {
        String explicit = System.getenv("MERGEKIT");
        if (explicit != null) {
            return explicit;
        }
        Path beside = MeasuredProcess.python().resolveSibling("mergekit-extract-lora");
        if (Files.isExecutable(beside)) {
            return beside.toString();
        }
        throw new IllegalStateException("set MERGEKIT to mergekit-extract-lora (pip install mergekit==0.1.5)");
    }

    private static void generate(Path work) throws IOException, InterruptedException {
        if (Files.isDirectory(work.resolve("tuned"))) {
            return;
        }
        Path script = MeasuredProcess.script().resolveSibling("extract_bench.py");
        System.out.println("generating the synthetic bf16 pair in " + work);
        Process p = new ProcessBuilder(MeasuredProcess.python().toString(), script.toString(), "generate", work.toString())
                .inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("generating the benchmark pair failed");
        }
    }
}
