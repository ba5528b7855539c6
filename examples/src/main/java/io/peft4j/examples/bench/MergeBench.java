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
 * Merge into base, side by side in one run, on a synthetic Llama-shaped bf16 base (hidden 1024, 12
 * layers, about 220M parameters, 440 MB) with a rank-16 all-linear adapter, on CPU:
 *
 * <ul>
 *   <li>{@code cp -r} of the base folder, the floor (median of {@value #COPIES});</li>
 *   <li>peft4j's merge through the API in a warm JVM with {@code -Xmx}{@value #JAVA_HEAP} (a heap
 *       smaller than the model): the median of {@value #WARM_RUNS} merges after a first one;</li>
 *   <li>the whole {@code ./peft4j merge} process, launcher and JVM start included (median of
 *       {@value #CLI_RUNS});</li>
 *   <li>PEFT's {@code from_pretrained} + {@code merge_and_unload} + {@code save_pretrained} in one
 *       Python process, imports excluded.</li>
 * </ul>
 *
 * Each process's peak resident and anonymous memory is sampled; the 1-minute load average is printed
 * with the figures (the machine may be shared). The merged weights are compared with PEFT's bit for bit.
 *
 * <p>Usage: {@code PEFT4J_PYTHON=venv examples/run bench.MergeBench [WORK_DIR]} (default
 * {@code $TMPDIR/peft4j-bench}).
 */
public final class MergeBench {

    private static final String JAVA_HEAP = "128m";
    private static final int COPIES = 5;
    private static final int WARM_RUNS = 5;
    private static final int CLI_RUNS = 3;

    private MergeBench() {}

    /** Runs the benchmark, or with {@code --child BASE ADAPTER OUT RUNS} the timed Java merges. */
    public static void main(String[] args) throws Exception {
        if (args.length == 5 && args[0].equals("--child")) {
            Path out = Path.of(args[3]);
            double[] seconds = new double[Integer.parseInt(args[4])];
            for (int i = -1; i < seconds.length; i++) { // the first merge warms the JIT up
                fresh(out);
                long start = System.nanoTime();
                Peft.merge(MergeOptions.builder(Path.of(args[1]), out).adapter(Path.of(args[2])).build());
                if (i >= 0) {
                    seconds[i] = (System.nanoTime() - start) / 1e9;
                }
            }
            System.out.printf(Locale.ROOT, "{\"seconds\": %.4f}%n", MeasuredProcess.median(seconds));
            return;
        }
        Path work = MeasuredProcess.ensureGenerated(Path.of(args.length > 0 ? args[0]
                : Path.of(System.getProperty("java.io.tmpdir"), "peft4j-bench").toString()));
        Path base = work.resolve("base");
        Path adapter = work.resolve("adapter0");
        System.out.printf(Locale.ROOT, "model: %s (%.0f MB of bf16 weights), adapter %s (rank 16, all linear); %d cores, load %s%n",
                base, size(base) / 1e6, adapter.getFileName(), Runtime.getRuntime().availableProcessors(), MeasuredProcess.load());

        double[] copies = new double[COPIES];
        for (int i = 0; i < COPIES; i++) {
            Path copy = fresh(work.resolve("copy"));
            copies[i] = MeasuredProcess.run(List.of("cp", "-r", base.toString(), copy.toString())).seconds();
        }
        double copy = MeasuredProcess.median(copies);
        Path javaOut = work.resolve("merged-java");
        MeasuredProcess api = MeasuredProcess.run(MeasuredProcess.java(JAVA_HEAP, MergeBench.class,
                "--child", base.toString(), adapter.toString(), javaOut.toString(), Integer.toString(WARM_RUNS)));
        String apiLoad = MeasuredProcess.load();
        double[] cliRuns = new double[CLI_RUNS];
        double cliRss = 0;
        double cliAnon = 0;
        for (int i = 0; i < CLI_RUNS; i++) {
            Path out = fresh(work.resolve("merged-cli"));
            MeasuredProcess cli = MeasuredProcess.run(List.of(MeasuredProcess.launcher().toString(), "merge",
                    "--base", base.toString(), "--adapter", adapter.toString(), "--out", out.toString()));
            cliRuns[i] = cli.seconds();
            cliRss = Math.max(cliRss, cli.peakRssMb());
            cliAnon = Math.max(cliAnon, cli.peakAnonMb());
        }
        double cli = MeasuredProcess.median(cliRuns);
        String cliLoad = MeasuredProcess.load();
        Path peftOut = fresh(work.resolve("merged-peft"));
        MeasuredProcess peft = MeasuredProcess.run(List.of(MeasuredProcess.python().toString(),
                MeasuredProcess.script().toString(), "merge", base.toString(), adapter.toString(), peftOut.toString()));

        System.out.printf(Locale.ROOT, "%-52s %7.3f s%n", "cp -r of the base folder (median of " + COPIES + ")", copy);
        System.out.printf(Locale.ROOT, "%-52s %7.3f s   %5.2fx cp   peak RSS %5.0f MB, anon %5.0f MB   (load %s)%n",
                "peft4j merge, API, warm JVM, -Xmx" + JAVA_HEAP + " (median of " + WARM_RUNS + ")", api.seconds(),
                api.seconds() / copy, api.peakRssMb(), api.peakAnonMb(), apiLoad);
        System.out.printf(Locale.ROOT, "%-52s %7.3f s   %5.2fx cp   peak RSS %5.0f MB, anon %5.0f MB   (load %s)%n",
                "./peft4j merge, whole process (median of " + CLI_RUNS + ")", cli, cli / copy, cliRss, cliAnon, cliLoad);
        System.out.printf(Locale.ROOT, "%-52s %7.3f s                peak RSS %5.0f MB, anon %5.0f MB   (load %s)%n",
                "PEFT load+merge_and_unload+save, imports excluded", peft.seconds(), peft.peakRssMb(), peft.peakAnonMb(),
                MeasuredProcess.load());
        System.out.printf(Locale.ROOT, "speed-up over PEFT: %.2fx (API), %.2fx (whole ./peft4j merge against PEFT without its imports)%n",
                peft.seconds() / api.seconds(), peft.seconds() / cli);
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
