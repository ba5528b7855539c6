package io.peft4j.extract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.Peft;
import io.peft4j.bridge.PythonRuntime;
import io.peft4j.merge.MergeOptions;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraModule;
import io.peft4j.safetensors.Safetensors;
import io.peft4j.safetensors.TensorSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Extraction checked by PEFT itself, through the bridge in this JVM ({@code src/test/python/extract_fixtures.py}):
 * a tiny Llama BASE and TUNED = BASE + a rank-4 delta + 1 % noise per linear module, made with
 * transformers. PEFT loads the extracted adapter with the ranks and scaling the report states, and
 * its logits match TUNED's; DoRA and rsLoRA-with-patterns adapters made by PEFT re-factor into plain
 * LoRA that PEFT merges to the same weights (DoRA) or runs to the same logits (rsLoRA). And
 * {@code mergekit-extract-lora} (mergekit 0.1.5, full SVD, from the test layer) run on the same pair:
 * the randomized extraction's error is within 1 % of mergekit's on every module.
 */
class ExtractPeftTest {

    @TempDir
    static Path temp;

    private static Path base;
    private static Path tuned;

    private static PythonRuntime python() {
        PythonRuntime python = PythonRuntime.get();
        python.call("runtime", "add_path", Path.of("src/test/python").toAbsolutePath().toString());
        return python;
    }

    @BeforeAll
    static void makeModels() {
        python().call("extract_fixtures", "make_pair", temp.resolve("pair").toString(), 4, 0.01, 0);
        base = temp.resolve("pair/base");
        tuned = temp.resolve("pair/tuned");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> logits(Path model, Path adapter) {
        return (Map<String, Object>) python().call("extract_fixtures", "logits", model.toString(),
                adapter == null ? "" : adapter.toString(), "");
    }

    @SuppressWarnings("unchecked")
    private static double[] values(Map<String, Object> run) {
        return ((List<Number>) run.get("logits")).stream().mapToDouble(Number::doubleValue).toArray();
    }

    private static double distance(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += (x[i] - y[i]) * (x[i] - y[i]);
        }
        return Math.sqrt(s);
    }

    @Test
    @SuppressWarnings("unchecked")
    void peftLoadsTheExtractedAdapterAndItsLogitsMatchTuned() {
        ExtractReport report = Peft.extract(ExtractOptions.fromModels(base, tuned, temp.resolve("rank4")).maxRank(4).build());
        assertEquals(14, report.modules().size());
        Map<String, Object> withAdapter = logits(base, report.out());
        double[] ours = values(withAdapter);
        double[] expected = values(logits(tuned, null));
        double[] before = values(logits(base, null));
        double relative = distance(ours, expected) / distance(before, expected);
        System.out.printf("logits: ||adapter - tuned|| / ||base - tuned|| = %.3e, stated weight error %.3e at most%n",
                relative, report.maxRelativeError());
        assertTrue(relative <= 3 * report.maxRelativeError(), "logits " + relative + " vs stated " + report.maxRelativeError());
        Map<String, Object> ranks = (Map<String, Object>) withAdapter.get("ranks");
        for (ModuleExtraction m : report.modules()) {
            assertEquals(m.rank(), ((Number) ranks.get(m.module())).intValue(), m.module());
            assertEquals(1.0, ((Number) ranks.get(m.module() + "#scaling")).doubleValue(), 0, m.module());
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void energyFindsTheRankOfTheDeltaAndPeftAgrees() {
        ExtractReport report = Peft.extract(ExtractOptions.fromModels(base, tuned, temp.resolve("energy"))
                .maxRank(16).energy(0.999).build());
        report.modules().forEach(m -> assertEquals(4, m.rank(), m.module()));
        Map<String, Object> ranks = (Map<String, Object>) logits(base, report.out()).get("ranks");
        report.modules().forEach(m -> assertEquals(4, ((Number) ranks.get(m.module())).intValue(), m.module()));
    }

    @Test
    @SuppressWarnings("unchecked")
    void doraAndRsLoraAdaptersBecomePlainLoraThatPeftAgreesWith() throws Exception {
        Map<String, Object> made = (Map<String, Object>) python().call("extract_fixtures", "make_adapters",
                base.toString(), temp.resolve("adapters").toString(), 0);
        Path dora = Path.of((String) made.get("dora"));
        Path rslora = Path.of((String) made.get("rslora"));

        ExtractReport plain = Peft.extract(ExtractOptions.fromAdapter(dora, temp.resolve("dora-plain")).base(base).maxRank(64).build());
        Path peftMerged = temp.resolve("dora-peft-merged");
        python().call("extract_fixtures", "peft_merge", base.toString(), dora.toString(), peftMerged.toString());
        Path ourMerged = Peft.merge(MergeOptions.builder(base, temp.resolve("dora-ours-merged")).adapter(plain.out()).build()).out();
        try (TensorSource peft = Safetensors.open(peftMerged); TensorSource ours = Safetensors.open(ourMerged);
             TensorSource original = Safetensors.open(base)) {
            for (ModuleExtraction m : plain.modules()) {
                String name = m.module() + ".weight";
                float[] p = peft.tensor(name).toFloatArray();
                float[] o = ours.tensor(name).toFloatArray();
                float[] w = original.tensor(name).toFloatArray();
                double diff = 0;
                double delta = 0;
                for (int i = 0; i < p.length; i++) {
                    diff += Math.pow((double) p[i] - o[i], 2);
                    delta += Math.pow((double) p[i] - w[i], 2);
                }
                assertTrue(Math.sqrt(diff / delta) < 1e-4 + m.relativeError(), m.module() + ": " + Math.sqrt(diff / delta));
            }
        }

        ExtractReport refactored = Peft.extract(ExtractOptions.fromAdapter(rslora, temp.resolve("rs-plain")).maxRank(8).build());
        double[] original = values(logits(base, rslora));
        double[] converted = values(logits(base, refactored.out()));
        double[] none = values(logits(base, null));
        assertTrue(distance(original, converted) / distance(original, none) < 1e-4, "same logits as the rsLoRA adapter");
        assertTrue(Files.readString(refactored.out().resolve("adapter_config.json")).contains("\"use_rslora\" : false"));
    }

    @Test
    void errorIsWithinOnePercentOfMergekitsFullSvd() throws Exception {
        Path scripts = Path.of((String) python().getValue("__import__('sysconfig').get_path('scripts')"));
        Path mergekit = temp.resolve("mergekit");
        Process p = new ProcessBuilder(scripts.resolve("mergekit-extract-lora").toString(), "--model", tuned.toString(),
                "--base-model", base.toString(), "--out-path", mergekit.toString(), "--max-rank", "4",
                "-e", "embed_tokens", "-e", "lm_head", "--skip-undecomposable")
                .redirectErrorStream(true).redirectOutput(temp.resolve("mergekit.log").toFile()).start();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES) && p.exitValue() == 0, Files.readString(temp.resolve("mergekit.log")));
        ExtractReport ours = Peft.extract(ExtractOptions.fromModels(base, tuned, temp.resolve("vs-mergekit")).maxRank(4).build());
        try (LoraAdapter theirs = LoraAdapter.load(mergekit); TensorSource b = Safetensors.open(base);
             TensorSource t = Safetensors.open(tuned)) {
            assertEquals(ours.modules().size(), theirs.modules().size());
            for (ModuleExtraction m : ours.modules()) {
                LoraModule their = theirs.module(m.module()).orElseThrow();
                float[] w = b.tensor(their.baseWeightName()).toFloatArray();
                float[] v = t.tensor(their.baseWeightName()).toFloatArray();
                float[] d = their.deltaWeight();
                double err = 0;
                double norm = 0;
                for (int i = 0; i < w.length; i++) {
                    double x = (double) v[i] - w[i];
                    err += (x - d[i]) * (x - d[i]);
                    norm += x * x;
                }
                double mergekitError = Math.sqrt(err / norm);
                assertTrue(m.relativeError() <= 1.01 * mergekitError, m.module() + ": " + m.relativeError() + " vs mergekit's "
                        + mergekitError);
            }
        }
    }
}
