package io.peft4j.examples.bench;

import io.peft4j.Peft;
import io.peft4j.merge.RelativeError;
import io.peft4j.merge.SoupMethod;
import io.peft4j.merge.SoupOptions;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraDelta;
import io.peft4j.peft.LoraModule;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * An svd soup of three rank-16 adapters on the synthetic Llama-shaped base (see {@link MergeBench}),
 * side by side: peft4j (QR of the stacked factors and an SVD of the 48 x 48 core per layer) against
 * PEFT's {@code add_weighted_adapter(combination_type="svd")} (a full SVD of every delta), both on
 * CPU. PEFT's time covers only {@code add_weighted_adapter} (model and adapters already loaded);
 * peft4j's covers reading the adapters, the soup and writing the result. The results are compared
 * on {@code B @ A} per module.
 *
 * <p>Usage: {@code PEFT4J_PYTHON=venv SoupBench [WORK_DIR]}.
 */
public final class SoupBench {

    private SoupBench() {}

    /** Runs the benchmark, or with {@code --child OUT A1 A2 A3} one timed Java soup. */
    public static void main(String[] args) throws Exception {
        if (args.length == 5 && args[0].equals("--child")) {
            long start = System.nanoTime();
            SoupOptions.Builder options = SoupOptions.builder(SoupMethod.SVD, Path.of(args[1]));
            for (int i = 2; i < 5; i++) {
                options.adapter(Path.of(args[i]), 1.0 / 3);
            }
            Peft.soup(options.build());
            System.out.printf(Locale.ROOT, "{\"seconds\": %.4f}%n", (System.nanoTime() - start) / 1e9);
            return;
        }
        Path work = MeasuredProcess.ensureGenerated(Path.of(args.length > 0 ? args[0]
                : Path.of(System.getProperty("java.io.tmpdir"), "peft4j-bench").toString()));
        List<String> adapters = List.of(work.resolve("adapter0").toString(), work.resolve("adapter1").toString(),
                work.resolve("adapter2").toString());
        Path peftOut = MergeBench.fresh(work.resolve("soup-peft"));
        MeasuredProcess peft = MeasuredProcess.run(List.of(MeasuredProcess.python().toString(), MeasuredProcess.script().toString(),
                "soup", work.resolve("base").toString(), peftOut.toString(), adapters.get(0), adapters.get(1), adapters.get(2)));
        Path javaOut = MergeBench.fresh(work.resolve("soup-java"));
        MeasuredProcess java = MeasuredProcess.run(MeasuredProcess.java("1g", SoupBench.class,
                "--child", javaOut.toString(), adapters.get(0), adapters.get(1), adapters.get(2)));
        double worst = worstRelativeError(javaOut, peftOut);
        System.out.printf(Locale.ROOT, "svd soup of 3 rank-16 adapters (84 modules, rank 16 result)%n");
        System.out.printf(Locale.ROOT, "PEFT add_weighted_adapter(svd)  %8.2f s%n", peft.seconds());
        System.out.printf(Locale.ROOT, "peft4j soup --method svd        %8.2f s (including reading and writing)%n", java.seconds());
        System.out.printf(Locale.ROOT, "speed-up over PEFT: %.1fx; largest relative error of B@A against PEFT: %.2e%n",
                peft.seconds() / java.seconds(), worst);
    }

    private static double worstRelativeError(Path ours, Path theirs) {
        double worst = 0;
        try (LoraAdapter a = LoraAdapter.load(ours); LoraAdapter b = LoraAdapter.load(theirs)) {
            for (LoraModule expected : b.modules()) {
                float[] e = product(expected);
                float[] x = product(a.module(expected.moduleName()).orElseThrow());
                worst = Math.max(worst, RelativeError.frobenius(x, e));
            }
        }
        return worst;
    }

    private static float[] product(LoraModule m) {
        int out = Math.toIntExact(m.loraB().shape()[0]);
        int in = Math.toIntExact(m.loraA().numel() / m.rank());
        return LoraDelta.of(m.loraB().toFloatArray(), m.loraA().toFloatArray(), out, m.rank(), in, 1).toArray();
    }
}
