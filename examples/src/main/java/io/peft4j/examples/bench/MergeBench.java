package io.peft4j.examples.bench;

import io.peft4j.Peft;
import io.peft4j.merge.MergeOptions;
import io.peft4j.safetensors.Safetensors;
import io.peft4j.safetensors.TensorInfo;
import io.peft4j.safetensors.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Merge into base, side by side: peft4j's streaming merge against PEFT's
 * {@code from_pretrained} + {@code merge_and_unload} + {@code save_pretrained}, on a synthetic
 * Llama-shaped bf16 base (hidden 1024, 12 layers, about 220M parameters, 440 MB) with a rank-16
 * all-linear adapter, both on CPU, each in its own process with its memory sampled; plus a plain
 * copy of the base files as the floor. The Java merge runs with {@code -Xmx128m}, a heap smaller
 * than the model. The merged weights are compared bit for bit.
 *
 * <p>Usage: {@code PEFT4J_PYTHON=venv MergeBench [WORK_DIR]} (default {@code $TMPDIR/peft4j-bench}).
 */
public final class MergeBench {

    private static final String JAVA_HEAP = "128m";

    private MergeBench() {}

    /** Runs the benchmark, or with {@code --child BASE ADAPTER OUT} one timed Java merge. */
    public static void main(String[] args) throws Exception {
        if (args.length == 4 && args[0].equals("--child")) {
            long start = System.nanoTime();
            Peft.merge(MergeOptions.builder(Path.of(args[1]), Path.of(args[3])).adapter(Path.of(args[2])).build());
            System.out.printf(Locale.ROOT, "{\"seconds\": %.4f}%n", (System.nanoTime() - start) / 1e9);
            return;
        }
        Path work = MeasuredProcess.ensureGenerated(Path.of(args.length > 0 ? args[0]
                : Path.of(System.getProperty("java.io.tmpdir"), "peft4j-bench").toString()));
        Path base = work.resolve("base");
        Path adapter = work.resolve("adapter0");
        long modelBytes = size(base);

        Path copy = fresh(work.resolve("copy"));
        long start = System.nanoTime();
        copyTree(base, copy);
        double copySeconds = (System.nanoTime() - start) / 1e9;

        Path peftOut = fresh(work.resolve("merged-peft"));
        MeasuredProcess peft = MeasuredProcess.run(List.of(MeasuredProcess.python().toString(),
                MeasuredProcess.script().toString(), "merge", base.toString(), adapter.toString(), peftOut.toString()));
        Path javaOut = fresh(work.resolve("merged-java"));
        MeasuredProcess java = MeasuredProcess.run(MeasuredProcess.java(JAVA_HEAP, MergeBench.class,
                "--child", base.toString(), adapter.toString(), javaOut.toString()));

        System.out.printf(Locale.ROOT, "model: %s (%.0f MB of bf16 weights), adapter %s (rank 16, all linear)%n",
                base, modelBytes / 1e6, adapter.getFileName());
        System.out.printf(Locale.ROOT, "plain copy of the files          %7.2f s%n", copySeconds);
        System.out.printf(Locale.ROOT, "PEFT load+merge_and_unload+save  %7.2f s   peak RSS %6.0f MB   peak anon %6.0f MB%n",
                peft.seconds(), peft.peakRssMb(), peft.peakAnonMb());
        System.out.printf(Locale.ROOT, "peft4j merge (-Xmx%s)          %7.2f s   peak RSS %6.0f MB   peak anon %6.0f MB%n",
                JAVA_HEAP, java.seconds(), java.peakRssMb(), java.peakAnonMb());
        System.out.printf(Locale.ROOT, "speed-up over PEFT: %.2fx   memory: %.2fx of PEFT's peak RSS (%.2fx anon)   time vs plain copy: %.2fx%n",
                peft.seconds() / java.seconds(), java.peakRssMb() / peft.peakRssMb(), java.peakAnonMb() / peft.peakAnonMb(),
                java.seconds() / copySeconds);
        double[] identical = identicalFraction(javaOut, peftOut);
        System.out.printf(Locale.ROOT, "bit-identical to PEFT: %.6f of %d values%n", identical[0], (long) identical[1]);
    }

    private static double[] identicalFraction(Path ours, Path theirs) {
        long equal = 0;
        long total = 0;
        try (TensorSource a = Safetensors.open(ours); TensorSource b = Safetensors.open(theirs)) {
            for (TensorInfo info : b.tensors()) {
                float[] x = a.tensor(info.name()).toFloatArray();
                float[] y = b.tensor(info.name()).toFloatArray();
                for (int j = 0; j < x.length; j++) {
                    equal += Float.floatToRawIntBits(x[j]) == Float.floatToRawIntBits(y[j]) ? 1 : 0;
                }
                total += y.length;
            }
        }
        return new double[] {(double) equal / total, total};
    }

    static long size(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    /** Removes {@code dir} if present and returns it. */
    static Path fresh(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        return dir;
    }
}
