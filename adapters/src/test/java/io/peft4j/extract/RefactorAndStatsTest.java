package io.peft4j.extract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.inspect.AdapterDiff;
import io.peft4j.inspect.AdapterStats;
import io.peft4j.inspect.DeltaStatistics;
import io.peft4j.inspect.ModuleComparison;
import io.peft4j.inspect.ModuleStats;
import io.peft4j.peft.AdapterConfig;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraModule;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Re-factoring adapters ({@code --from-adapter}) and adapter statistics, checked against dense
 * computations on the {@code out x in} deltas that {@link LoraModule#deltaWeight()} forms.
 */
class RefactorAndStatsTest {

    @TempDir
    Path temp;

    /** An rsLoRA adapter with a rank pattern: q_proj r=8, v_proj r=4 (pattern), alpha 16, random factors. */
    private Path rsLora(String name, long seed, int zeroColumns) throws IOException {
        Path dir = Files.createDirectories(temp.resolve(name));
        Random rnd = new Random(seed);
        Map<String, float[]> values = new LinkedHashMap<>();
        List<TensorSpec> specs = new ArrayList<>();
        for (String m : List.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj")) {
            int r = m.endsWith("q_proj") ? 8 : 4;
            int out = m.endsWith("q_proj") ? 48 : 16;
            String p = "base_model.model." + m;
            float[] a = gaussian(rnd, r * 32);
            float[] b = gaussian(rnd, out * r);
            for (int o = 0; o < out; o++) {
                for (int k = r - zeroColumns; k < r; k++) {
                    b[o * r + k] = 0;
                }
            }
            values.put(p + ".lora_A.weight", a);
            values.put(p + ".lora_B.weight", b);
            specs.add(new TensorSpec(p + ".lora_A.weight", DType.F32, new long[] {r, 32}));
            specs.add(new TensorSpec(p + ".lora_B.weight", DType.F32, new long[] {out, r}));
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve(LoraAdapter.WEIGHTS_FILE), specs, Map.of("format", "pt"))) {
            values.forEach(w::write);
            w.commit();
        }
        AdapterConfig.lora(8, 16, List.of("q_proj", "v_proj")).with("use_rslora", true)
                .with("rank_pattern", Map.of("v_proj", 4)).with("base_model_name_or_path", "tiny/base").writeTo(dir);
        return dir;
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    @Test
    void refactoringAtFullRankIsExactAndDropsRsLoraAndPatterns() throws IOException {
        Path source = rsLora("rs", 1, 0);
        ExtractReport report = AdapterExtractor.extract(ExtractOptions.fromAdapter(source, temp.resolve("plain")).maxRank(8).build());
        try (LoraAdapter before = LoraAdapter.load(source); LoraAdapter after = LoraAdapter.load(report.out())) {
            assertFalse(after.config().useRslora());
            assertEquals(8, after.config().rank());
            assertEquals("tiny/base", after.config().baseModelNameOrPath().orElseThrow());
            for (LoraModule m : before.modules()) {
                LoraModule n = after.module(m.moduleName()).orElseThrow();
                assertEquals(1.0, n.scaling(), 0);
                assertEquals(m.rank(), n.rank());
                assertTrue(ExtractFromModelsTest.relative(n.deltaWeight(), m.deltaWeight()) < 1e-6, m.moduleName());
            }
        }
        report.modules().forEach(m -> assertTrue(m.relativeError() < 1e-6, m.toString()));
    }

    @Test
    void refactoringToALowerRankLosesExactlyTheDroppedSingularValues() throws IOException {
        Path source = rsLora("rs", 2, 0);
        ExtractReport report = AdapterExtractor.extract(ExtractOptions.fromAdapter(source, temp.resolve("r2")).maxRank(2).build());
        try (LoraAdapter before = LoraAdapter.load(source); LoraAdapter after = LoraAdapter.load(report.out())) {
            for (ModuleExtraction row : report.modules()) {
                float[] dense = before.module(row.module()).orElseThrow().deltaWeight();
                int rows = row.rows();
                int cols = row.cols();
                SyntheticDeltaView view = new SyntheticDeltaView(dense, rows, cols);
                Factorization exact = ExactSvd.of(view);
                double optimum = Math.sqrt((exact.totalEnergy() - exact.energy(2)) / exact.totalEnergy());
                assertEquals(optimum, row.relativeError(), 1e-6, row.module());
                float[] ours = after.module(row.module()).orElseThrow().deltaWeight();
                assertEquals(optimum, ExtractFromModelsTest.relative(ours, dense), 1e-5, row.module() + ": the factors' real error");
            }
        }
    }

    @Test
    void statisticsMatchDenseComputation() throws IOException {
        Path a = rsLora("a", 3, 3);
        AdapterStats stats = DeltaStatistics.of(a);
        try (LoraAdapter adapter = LoraAdapter.load(a)) {
            for (ModuleStats s : stats.modules()) {
                float[] dense = adapter.module(s.module()).orElseThrow().deltaWeight();
                assertEquals(norm(dense), s.norm(), 1e-5 * s.norm(), s.module());
                assertEquals(s.rank() - 3, s.effectiveRank(), s.module() + ": three zero columns of B do not count");
                assertTrue(s.rank90() <= s.rank99() && s.rank99() <= s.effectiveRank(), s.toString());
            }
        }
    }

    @Test
    void diffGivesCosinesOfTheDenseDeltasAndSortsByDifference() throws IOException {
        Path a = rsLora("a", 4, 0);
        Path b = rsLora("b", 5, 0);
        AdapterDiff diff = DeltaStatistics.diff(a, b);
        assertEquals(2, diff.shared().size());
        try (LoraAdapter x = LoraAdapter.load(a); LoraAdapter y = LoraAdapter.load(b)) {
            for (ModuleComparison c : diff.shared()) {
                float[] dx = x.module(c.module()).orElseThrow().deltaWeight();
                float[] dy = y.module(c.module()).orElseThrow().deltaWeight();
                double dot = 0;
                double diffSq = 0;
                for (int i = 0; i < dx.length; i++) {
                    dot += (double) dx[i] * dy[i];
                    diffSq += Math.pow((double) dx[i] - dy[i], 2);
                }
                assertEquals(dot / (norm(dx) * norm(dy)), c.cosine(), 1e-6, c.module());
                assertEquals(Math.sqrt(diffSq), c.differenceNorm(), 1e-5 * Math.sqrt(diffSq), c.module());
            }
        }
        assertTrue(diff.shared().get(0).relativeDifference() >= diff.shared().get(1).relativeDifference());
        AdapterDiff self = DeltaStatistics.diff(a, a);
        self.shared().forEach(c -> assertEquals(1.0, c.cosine(), 1e-9));
        assertEquals(1.0, self.cosine(), 1e-9);
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }

    /** A dense matrix as a {@link DeltaMatrix}. */
    private record SyntheticDeltaView(float[] values, int rows, int cols) implements DeltaMatrix {
        @Override
        public void read(int first, int count, float[] dst) {
            System.arraycopy(values, first * cols, dst, 0, count * cols);
        }
    }
}
