package io.peft4j.extract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.merge.BaseMerger;
import io.peft4j.merge.MergeOptions;
import io.peft4j.peft.AdapterConfig;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraModule;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.Safetensors;
import io.peft4j.safetensors.TensorSource;
import io.peft4j.serving.VllmCompatibility;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Extraction on tiny models written here: TUNED = BASE + a known rank-k delta + noise per module.
 * The factors recover the delta within the noise, {@code --energy} finds k, the config's ranks are
 * the report's, and merging the adapter into BASE reproduces TUNED within the stated error.
 */
class ExtractFromModelsTest {

    private static final double NOISE = 0.01;

    @TempDir
    Path temp;

    private static Map<String, Integer> ranks(int... perModule) {
        Map<String, Integer> ranks = new LinkedHashMap<>();
        int i = 0;
        for (String module : TinyPair.MODULES.keySet()) {
            if (i < perModule.length && perModule[i] > 0) {
                ranks.put(module, perModule[i]);
            }
            i++;
        }
        return ranks;
    }

    @Test
    void recoversTheDeltaWithinTheNoise() throws IOException {
        TinyPair pair = TinyPair.write(temp.resolve("m"), ranks(4, 4, 4, 4, 4, 4), NOISE, false, false, DType.F32);
        ExtractReport report = AdapterExtractor.extract(ExtractOptions.fromModels(pair.base, pair.tuned, temp.resolve("a"))
                .maxRank(4).build());
        assertEquals(6, report.modules().size());
        try (LoraAdapter adapter = LoraAdapter.load(report.out())) {
            for (ModuleExtraction row : report.modules()) {
                assertEquals(4, row.rank());
                assertTrue(row.relativeError() <= NOISE && row.relativeError() > NOISE / 2,
                        row.module() + ": error " + row.relativeError() + " should be about the noise " + NOISE);
                float[] truth = pair.deltas.get(row.module());
                float[] ours = adapter.module(row.module()).orElseThrow().deltaWeight();
                assertEquals(row.relativeError(), relative(ours, truth), 1e-5, row.module() + ": stated error is the real one");
            }
            assertTrue(adapter.config().rankPattern().isEmpty());
            assertEquals(java.util.Set.of("q_proj", "v_proj", "down_proj"), java.util.Set.copyOf(adapter.config().targetModules().names()));
        }
        assertTrue(VllmCompatibility.check(report.out(), 16).servable(), "rank 4, no patterns: vLLM can serve it");
    }

    @Test
    void energyPicksTheRankOfEachDeltaAndTheConfigSaysSo() throws IOException {
        TinyPair pair = TinyPair.write(temp.resolve("m"), ranks(2, 3, 5, 4, 1, 6), NOISE, false, false, DType.F32);
        ExtractReport report = AdapterExtractor.extract(ExtractOptions.fromModels(pair.base, pair.tuned, temp.resolve("a"))
                .maxRank(16).energy(0.999).build());
        Map<String, Integer> expected = ranks(2, 3, 5, 4, 1, 6);
        Map<String, Integer> reported = report.modules().stream()
                .collect(Collectors.toMap(ModuleExtraction::module, ModuleExtraction::rank));
        assertEquals(expected, reported);
        assertEquals(6, report.rank());
        try (LoraAdapter adapter = LoraAdapter.load(report.out())) {
            AdapterConfig config = adapter.config();
            assertEquals(6, config.rank());
            for (LoraModule m : adapter.modules()) {
                assertEquals(reported.get(m.moduleName()), m.rank(), m.moduleName());
                assertEquals(reported.get(m.moduleName()), config.rankFor(m.moduleName()), m.moduleName());
                assertEquals(1.0, m.scaling(), 0, m.moduleName() + ": scaling 1 through alpha_pattern");
            }
        }
        assertEquals(0.999, report.modules().stream().mapToDouble(ModuleExtraction::energyKept).min().orElseThrow(), 0.001);
    }

    @Test
    void mergingTheAdapterIntoBaseReproducesTunedWithinTheStatedError() throws IOException {
        TinyPair pair = TinyPair.write(temp.resolve("m"), ranks(4, 3, 8, 4, 2, 6), NOISE, false, false, DType.F32);
        ExtractReport report = AdapterExtractor.extract(ExtractOptions.fromModels(pair.base, pair.tuned, temp.resolve("a"))
                .maxRank(4).build());
        Path merged = BaseMerger.merge(MergeOptions.builder(pair.base, temp.resolve("merged")).adapter(report.out()).build()).out();
        assertReproduces(pair, report, merged, false);
    }

    @Test
    void conv1dWeightsAreStoredTransposedAndStillReproduced() throws IOException {
        TinyPair pair = TinyPair.write(temp.resolve("m"), ranks(4, 4, 4, 4, 4, 4), NOISE, false, true, DType.F32);
        ExtractReport report = AdapterExtractor.extract(ExtractOptions.fromModels(pair.base, pair.tuned, temp.resolve("a"))
                .maxRank(4).build());
        try (LoraAdapter adapter = LoraAdapter.load(report.out())) {
            assertTrue(adapter.config().fanInFanOut());
            LoraModule q = adapter.module("model.layers.0.self_attn.q_proj").orElseThrow();
            assertEquals(List.of(4L, 32L), List.of(q.loraA().shape()[0], q.loraA().shape()[1]), "A is [r, in]");
            assertEquals(List.of(48L, 4L), List.of(q.loraB().shape()[0], q.loraB().shape()[1]), "B is [out, r]");
        }
        Path merged = BaseMerger.merge(MergeOptions.builder(pair.base, temp.resolve("merged")).adapter(report.out()).build()).out();
        assertReproduces(pair, report, merged, true);
    }

    @Test
    void bf16ModelsAreReadAsTheyAre() throws IOException {
        TinyPair pair = TinyPair.write(temp.resolve("m"), ranks(4, 4, 4), NOISE, false, false, DType.BF16);
        ExtractReport report = AdapterExtractor.extract(ExtractOptions.fromModels(pair.base, pair.tuned, temp.resolve("a"))
                .maxRank(4).exact(true).build());
        assertEquals(3, report.modules().size());
        assertTrue(report.method().contains("exact"));
        report.modules().forEach(m -> assertTrue(m.relativeError() < 0.05, m + " (bf16 rounding of both models adds noise)"));
    }

    @Test
    void unchangedModulesAreLeftOutAndTargetsNameTheModulesWritten() throws IOException {
        TinyPair pair = TinyPair.write(temp.resolve("m"), ranks(4, 4, 4, 4, 0, 4), NOISE, true, false, DType.F32);
        ExtractReport report = AdapterExtractor.extract(ExtractOptions.fromModels(pair.base, pair.tuned, temp.resolve("a"))
                .maxRank(4).build());
        assertEquals(List.of("model.layers.1.self_attn.v_proj"), report.unchanged());
        assertEquals(1, report.warnings().size(), report.warnings().toString());
        assertTrue(report.warnings().getFirst().startsWith("2 tensor(s) differ"), report.warnings().getFirst());
        try (LoraAdapter adapter = LoraAdapter.load(report.out())) {
            assertTrue(adapter.config().targetModules().names().contains("model.layers.0.self_attn.v_proj"),
                    "v_proj is not extracted everywhere, so targets are full names: " + adapter.config().targetModules().names());
            assertFalse(adapter.config().targetModules().matches("model.layers.1.self_attn.v_proj"));
        }
    }

    @Test
    void modulesToSaveAreCopiedWholeFromTuned() throws IOException {
        TinyPair pair = TinyPair.write(temp.resolve("m"), ranks(4, 4, 4, 4, 4, 4), NOISE, true, false, DType.F32);
        ExtractReport report = AdapterExtractor.extract(ExtractOptions.fromModels(pair.base, pair.tuned, temp.resolve("a"))
                .maxRank(4).modulesToSave(List.of("embed_tokens", "norm")).targets(ModuleSelection.parse("q_proj,down_proj"))
                .build());
        assertEquals(4, report.modules().size());
        assertEquals(List.of("model.embed_tokens.weight", "model.norm.weight"), report.modulesToSave());
        assertTrue(report.warnings().getFirst().startsWith("2 tensor(s) differ"), "v_proj of both layers: " + report.warnings());
        try (LoraAdapter adapter = LoraAdapter.load(report.out()); TensorSource tuned = Safetensors.open(pair.tuned)) {
            assertEquals(List.of("embed_tokens", "norm"), adapter.config().modulesToSave());
            float[] saved = adapter.replacements().get("model.embed_tokens.weight").toFloatArray();
            assertEquals(0, relative(saved, tuned.tensor("model.embed_tokens.weight").toFloatArray()));
        }
    }

    @Test
    void uniformRankPadsEveryModuleSoVllmAcceptsIt() throws IOException {
        TinyPair pair = TinyPair.write(temp.resolve("m"), ranks(2, 8, 8, 8, 8, 8), NOISE, false, false, DType.F32);
        ExtractReport padded = AdapterExtractor.extract(ExtractOptions.fromModels(pair.base, pair.tuned, temp.resolve("a"))
                .maxRank(8).energy(0.999).uniformRank(true).build());
        assertEquals(2, padded.modules().stream().filter(m -> m.module().equals("model.layers.0.self_attn.q_proj"))
                .findFirst().orElseThrow().rank(), "the report keeps the rank that holds the energy");
        assertTrue(VllmCompatibility.check(padded.out(), 16).servable(), "no rank_pattern, rank 8");
        ExtractReport patterned = AdapterExtractor.extract(ExtractOptions.fromModels(pair.base, pair.tuned, temp.resolve("b"))
                .maxRank(8).energy(0.999).build());
        assertFalse(VllmCompatibility.check(patterned.out(), 16).servable(), "vLLM refuses rank_pattern");
    }

    @Test
    void differentArchitecturesAreRefusedFromTheHeaders() throws IOException {
        TinyPair pair = TinyPair.write(temp.resolve("m"), ranks(4), NOISE, false, false, DType.F32);
        TinyPair other = TinyPair.write(temp.resolve("o"), ranks(4), NOISE, false, true, DType.F32);
        ExtractException e = assertThrows(ExtractException.class, () -> AdapterExtractor.extract(
                ExtractOptions.fromModels(pair.base, other.tuned, temp.resolve("a")).build()));
        assertTrue(e.getMessage().contains("gpt2") && e.getMessage().contains("same architecture"), e.getMessage());
        Files.writeString(other.tuned.resolve("config.json"), "{\"model_type\": \"llama\"}");
        e = assertThrows(ExtractException.class, () -> AdapterExtractor.extract(
                ExtractOptions.fromModels(pair.base, other.tuned, temp.resolve("a")).build()));
        assertTrue(e.getMessage().contains(".weight is [") && e.getMessage().contains("not the same architecture"), e.getMessage());
        assertFalse(Files.exists(temp.resolve("a")), "nothing written");
        e = assertThrows(ExtractException.class, () -> AdapterExtractor.extract(
                ExtractOptions.fromModels(pair.base, pair.tuned, temp.resolve("a")).targets(ModuleSelection.parse("nothing_here")).build()));
        assertTrue(e.getMessage().contains("selects no linear module"), e.getMessage());
        e = assertThrows(ExtractException.class, () -> AdapterExtractor.extract(
                ExtractOptions.fromModels(pair.base, pair.base, temp.resolve("a")).build()));
        assertTrue(e.getMessage().contains("unchanged"), e.getMessage());
        assertFalse(Files.exists(temp.resolve("a")), "nothing written");
    }

    /** Every changed module of TUNED is reproduced within the report's error; every other tensor is BASE's. */
    private static void assertReproduces(TinyPair pair, ExtractReport report, Path merged, boolean transposed) {
        Map<String, ModuleExtraction> rows = report.modules().stream()
                .collect(Collectors.toMap(ModuleExtraction::module, r -> r));
        try (TensorSource m = Safetensors.open(merged); TensorSource t = Safetensors.open(pair.tuned)) {
            for (var e : pair.deltas.entrySet()) {
                String name = e.getKey() + ".weight";
                float[] ours = m.tensor(name).toFloatArray();
                float[] tuned = t.tensor(name).toFloatArray();
                double diff = 0;
                for (int i = 0; i < ours.length; i++) {
                    diff += Math.pow((double) ours[i] - tuned[i], 2);
                }
                double delta = rows.get(e.getKey()).deltaNorm();
                double stated = rows.get(e.getKey()).relativeError();
                assertTrue(Math.sqrt(diff) / delta <= stated * 1.001 + 1e-5, e.getKey() + (transposed ? " (conv1d)" : "")
                        + ": merged differs from tuned by " + Math.sqrt(diff) / delta + ", stated " + stated);
            }
        }
    }

    static double relative(float[] actual, float[] expected) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < actual.length; i++) {
            num += Math.pow((double) actual[i] - expected[i], 2);
            den += (double) expected[i] * expected[i];
        }
        return Math.sqrt(num / den);
    }
}
