package io.peft4j.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.core.Peft4jException;
import io.peft4j.peft.AdapterConfig;
import io.peft4j.peft.AdapterFormatException;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.TensorSpec;
import io.peft4j.testing.RealAdapters;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vLLM multi-LoRA limits on the published adapters and on crafted failures. */
class VllmCompatibilityTest {

    private static Path real(String name) {
        Path folder = RealAdapters.folder().orElse(null);
        Assumptions.assumeTrue(folder != null, RealAdapters.MISSING);
        return folder.resolve(name);
    }

    @Test
    void plainCausalLmAdaptersAreServable() {
        for (String name : List.of("tinyllama-r4-ckpt75", "tinyllama-r4-ckpt180", "smollm2-360m-instruct-qv",
                "qwen25-05b-instruct-qv", "gpt2-causal-tigrinya", "opt125m-bf16-qv")) {
            VllmReport report = VllmCompatibility.check(real(name), VllmCompatibility.DEFAULT_MAX_LORA_RANK);
            assertTrue(report.servable(), name + ": " + report.problems());
        }
    }

    @Test
    void rankAboveTheMaxIsReportedWithTheRankThatFits() {
        VllmReport report = VllmCompatibility.check(real("opt125m-bf16-qv"), 8);
        assertEquals(16, report.rank());
        assertEquals(List.of("rank 16 is above --max-lora-rank 8 (serve with --max-lora-rank 16)"), report.problems());
    }

    @Test
    void classifierHeadsAreNotLoraWeights() {
        assertEquals(List.of("modules_to_save [classifier, score]: vLLM supports only adapters without fully trained modules",
                        "tensor base_model.model.score.weight: not a LoRA weight vLLM loads (only lora_A/lora_B weights and lora_embedding_A/B)"),
                VllmCompatibility.check(real("gpt2-seqcls-mts"), 16).problems());
        assertEquals(List.of("tensor base_model.model.score.weight: not a LoRA weight vLLM loads (only lora_A/lora_B weights and lora_embedding_A/B)"),
                VllmCompatibility.check(real("gpt2-seqcls-peft08"), 16).problems());
    }

    @Test
    void aDoubledPrefixIsReportedForEveryTensor() {
        VllmReport report = VllmCompatibility.check(real("smollm2-360m-base-qv"), 16);
        assertEquals(128, report.problems().size());
        assertTrue(report.problems().getFirst().contains("prefix appears twice"), report.problems().getFirst());
    }

    @Test
    void craftedDoraBiasPatternsAndRankAreEachReported(@TempDir Path dir) {
        AdapterConfig config = AdapterConfig.lora(24, 48, List.of("q_proj")).with("use_dora", true).with("bias", "all")
                .with("rank_pattern", Map.of("q_proj", 24)).with("alpha_pattern", Map.of("q_proj", 12));
        write(dir, config, "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", new long[] {24, 8},
                "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", new long[] {8, 24},
                "base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector", new long[] {8});
        List<String> problems = VllmCompatibility.check(dir, 16).problems();
        assertEquals(6, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("use_dora is true"));
        assertTrue(problems.get(1).startsWith("bias \"all\""));
        assertTrue(problems.get(2).startsWith("rank_pattern {q_proj=24}"));
        assertTrue(problems.get(3).startsWith("alpha_pattern {q_proj=12.0}"), problems.get(3));
        assertTrue(problems.get(4).startsWith("tensor base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector: not a LoRA weight"), problems.get(4));
        assertEquals("rank 24 is above --max-lora-rank 16 (serve with --max-lora-rank 32)", problems.get(5));
        assertTrue(VllmCompatibility.check(dir, 32).problems().size() == 5, "rank 24 fits under 32");
    }

    @Test
    void embeddingsAndBaseEmbeddingCopiesAreAccepted(@TempDir Path dir) {
        write(dir, AdapterConfig.lora(8, 16, List.of("embed_tokens")),
                "base_model.model.model.embed_tokens.lora_embedding_A", new long[] {8, 100},
                "base_model.model.model.embed_tokens.lora_embedding_B", new long[] {16, 8},
                "base_model.model.model.embed_tokens.base_layer.weight", new long[] {100, 16});
        assertTrue(VllmCompatibility.check(dir, 8).servable());
    }

    @Test
    void otherPeftTypesAndBadMaxRanksAreRefused(@TempDir Path dir) {
        write(dir, AdapterConfig.lora(8, 16, List.of("q_proj")).with("peft_type", "IA3"),
                "base_model.model.model.layers.0.self_attn.q_proj.ia3_l", new long[] {8, 1});
        assertEquals(List.of("peft_type IA3: vLLM serves only LoRA adapters"), VllmCompatibility.check(dir, 16).problems());
        Peft4jException e = assertThrows(Peft4jException.class, () -> VllmCompatibility.check(dir, 24));
        assertEquals("--max-lora-rank 24 is not one vLLM accepts: [1, 8, 16, 32, 64, 128, 256, 320, 512]", e.getMessage());
    }

    @Test
    void anAdapterInspectWouldRefuseIsRefusedFirst(@TempDir Path dir) {
        String q = "base_model.model.model.layers.0.self_attn.q_proj";
        AdapterConfig r4 = AdapterConfig.lora(4, 8, List.of("q_proj"));
        Map<String, Path> broken = new java.util.LinkedHashMap<>();
        broken.put("lora_A has rank 4 but lora_B has rank 3", write(dir.resolve("ab"), r4, DType.F32,
                q + ".lora_A.weight", new long[] {4, 8}, q + ".lora_B.weight", new long[] {16, 3}));
        broken.put("has lora_A but no lora_B", write(dir.resolve("half"), r4, DType.F32, q + ".lora_A.weight", new long[] {4, 8}));
        broken.put("has dtype I64", write(dir.resolve("i64"), r4, DType.I64,
                q + ".lora_A.weight", new long[] {4, 8}, q + ".lora_B.weight", new long[] {16, 4}));
        broken.put("has rank 4 but the config says r=8", write(dir.resolve("r8"), AdapterConfig.lora(8, 8, List.of("q_proj")),
                DType.F32, q + ".lora_A.weight", new long[] {4, 8}, q + ".lora_B.weight", new long[] {16, 4}));
        broken.put("target_modules (v_proj) does not target it", write(dir.resolve("untargeted"),
                AdapterConfig.lora(4, 8, List.of("v_proj")), DType.F32,
                q + ".lora_A.weight", new long[] {4, 8}, q + ".lora_B.weight", new long[] {16, 4}));
        broken.put("target_modules () does not target it", write(dir.resolve("no-targets"),
                AdapterConfig.lora(4, 8, List.of()).with("target_modules", null), DType.F32,
                q + ".lora_A.weight", new long[] {4, 8}, q + ".lora_B.weight", new long[] {16, 4}));
        broken.forEach((problem, adapter) -> {
            AdapterFormatException refused = assertThrows(AdapterFormatException.class,
                    () -> VllmCompatibility.check(adapter, 16), problem);
            assertTrue(refused.getMessage().contains(problem), refused.getMessage());
        });
    }

    private static void write(Path dir, AdapterConfig config, Object... namesAndShapes) {
        write(dir, config, DType.F32, namesAndShapes);
    }

    private static Path write(Path dir, AdapterConfig config, DType dtype, Object... namesAndShapes) {
        config.writeTo(dir);
        List<TensorSpec> specs = new ArrayList<>();
        for (int i = 0; i < namesAndShapes.length; i += 2) {
            specs.add(new TensorSpec((String) namesAndShapes[i], dtype, (long[]) namesAndShapes[i + 1]));
        }
        try (SafetensorsWriter writer = SafetensorsWriter.create(dir.resolve("adapter_model.safetensors"), specs, Map.of())) {
            for (TensorSpec spec : specs) {
                writer.write(spec.name(), java.lang.foreign.MemorySegment.ofArray(new byte[(int) spec.byteSize()]));
            }
            writer.commit();
        }
        return dir;
    }
}
