package io.peft4j.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.peft.AdapterConfig;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraModule;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export and import without Python, against the PEFT fixtures of {@code src/test/resources/peft}
 * (made by {@code make_peft_fixtures.py}, whose {@code expected_deltas.safetensors} hold PEFT's own
 * {@code get_delta_weight} per module): folded scaling reproduces PEFT's deltas under llama.cpp's
 * {@code alpha / r}; plain factors are written untouched; what llama.cpp cannot hold is refused
 * with a message saying what to do; an import of an export is the original adapter.
 */
class LlamaCppLoraExporterTest {

    private static final Path FIXTURES = Path.of("src/test/resources/peft");

    @TempDir
    Path dir;

    /** The config.json of make_peft_fixtures.py's tiny_llama(): hidden 16, 2 layers, 2 heads over 1 KV head. */
    private Path tinyLlama(int layers, boolean tied) throws IOException {
        Path base = Files.createDirectories(dir.resolve("base-" + layers + "-" + tied));
        Files.writeString(base.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 16, "intermediate_size": 24,
                 "num_hidden_layers": %d, "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 40,
                 "tie_word_embeddings": %s}""".formatted(layers, tied));
        return base;
    }

    @Test
    void foldedRankAlphaPatternsAndRsLoraGivePeftsDeltasUnderLlamaCppsScaling() throws IOException {
        for (String name : List.of("llama-patterns", "llama-rslora")) {
            Path out = dir.resolve(name + ".gguf");
            GgufExport export = LlamaCppLoraExporter.export(FIXTURES.resolve(name), tinyLlama(2, false), out, GgufOutType.F32);
            AdapterConfig config = AdapterConfig.read(FIXTURES.resolve(name));
            assertEquals((float) config.loraAlpha(), export.alpha());
            assertFalse(export.foldedModules().isEmpty(), name);
            try (GgufFile gguf = GgufFile.open(out); SafetensorsFile expected = SafetensorsFile.open(FIXTURES.resolve(name).resolve("expected_deltas.safetensors"))) {
                for (var info : expected.tensors()) {
                    LlamaCppArchitecture.Target target = LlamaCppArchitecture.LLAMA.target(info.name()).orElseThrow();
                    GgufTensorInfo a = gguf.find(target.weight() + ".lora_a").orElseThrow();
                    GgufTensorInfo b = gguf.find(target.weight() + ".lora_b").orElseThrow();
                    int rank = (int) b.dimensions()[0];
                    int rows = (int) b.shape()[0];
                    int heads = target.role() == LlamaCppArchitecture.Role.QUERY ? 2 : 1;
                    float[] bv = target.role() == LlamaCppArchitecture.Role.QUERY || target.role() == LlamaCppArchitecture.Role.KEY
                            ? FactorLayout.unpermute(gguf.floats(b), rows, rank, heads) : gguf.floats(b);
                    float[] llamaCpp = product(bv, gguf.floats(a), rows, rank, (float) (export.alpha() / rank));
                    float[] peft = expected.tensor(info.name()).toFloatArray();
                    for (int i = 0; i < peft.length; i++) {
                        assertEquals(peft[i], llamaCpp[i], 2e-6 * Math.max(1, Math.abs(peft[i])), name + " " + info.name() + " element " + i);
                    }
                }
            }
        }
    }

    /** {@code scale * B @ A}, B {@code rows x rank}, A {@code rank x cols}. */
    private static float[] product(float[] b, float[] a, int rows, int rank, float scale) {
        int cols = a.length / rank;
        float[] out = new float[rows * cols];
        for (int o = 0; o < rows; o++) {
            for (int i = 0; i < cols; i++) {
                float sum = 0;
                for (int k = 0; k < rank; k++) {
                    sum = Math.fma(b[o * rank + k], a[k * cols + i], sum);
                }
                out[o * cols + i] = sum * scale;
            }
        }
        return out;
    }

    @Test
    void plainLoraFactorsAreWrittenUntouchedAndImportGivesThemBack() throws IOException {
        Path base = tinyLlama(2, false);
        Path gguf = dir.resolve("layers.gguf");
        GgufExport export = LlamaCppLoraExporter.export(FIXTURES.resolve("llama-layers"), base, gguf, GgufOutType.F32);
        assertEquals(List.of(), export.foldedModules());
        Path imported = dir.resolve("imported");
        GgufImport result = LlamaCppLoraImporter.importAdapter(gguf, base, imported);
        assertEquals(1, result.modules());
        try (LoraAdapter original = LoraAdapter.load(FIXTURES.resolve("llama-layers")); LoraAdapter back = LoraAdapter.load(imported)) {
            assertEquals(original.config().rank(), back.config().rank());
            assertEquals(original.config().loraAlpha(), back.config().loraAlpha());
            for (LoraModule m : original.modules()) {
                LoraModule n = back.module(m.moduleName()).orElseThrow();
                assertEquals(-1, m.loraA().data().mismatch(n.loraA().data()), m.moduleName() + " A");
                assertEquals(-1, m.loraB().data().mismatch(n.loraB().data()), m.moduleName() + " B");
                assertEquals(m.scaling(), n.scaling());
            }
        }
        try (GgufFile file = GgufFile.open(gguf); LoraAdapter original = LoraAdapter.load(FIXTURES.resolve("llama-layers"))) {
            LoraModule k = original.modules().getFirst();
            GgufTensorInfo a = file.find("blk.1.attn_k.weight.lora_a").orElseThrow();
            assertArrayEquals(k.loraA().shape(), a.shape());
            assertArrayEquals(k.loraA().toFloatArray(), file.floats(a));
        }
    }

    @Test
    void anImportedFoldedExportHasPeftsDeltas() throws IOException {
        Path base = tinyLlama(2, false);
        Path gguf = dir.resolve("patterns.gguf");
        LlamaCppLoraExporter.export(FIXTURES.resolve("llama-patterns"), base, gguf, GgufOutType.F32);
        Path imported = dir.resolve("imported");
        LlamaCppLoraImporter.importAdapter(gguf, base, imported);
        try (LoraAdapter back = LoraAdapter.load(imported);
             SafetensorsFile expected = SafetensorsFile.open(FIXTURES.resolve("llama-patterns/expected_deltas.safetensors"))) {
            assertEquals(expected.tensors().size(), back.modules().size());
            assertEquals(Map.of("model.layers.0.self_attn.v_proj", 2, "model.layers.1.self_attn.v_proj", 2), back.config().rankPattern());
            for (LoraModule m : back.modules()) {
                float[] peft = expected.tensor(m.moduleName()).toFloatArray();
                float[] mine = m.deltaWeight();
                for (int i = 0; i < peft.length; i++) {
                    assertEquals(peft[i], mine[i], 2e-6 * Math.max(1, Math.abs(peft[i])), m.moduleName() + " element " + i);
                }
            }
        }
    }

    @Test
    void whatLlamaCppCannotHoldIsRefusedSayingWhatToDo() throws IOException {
        Path base = tinyLlama(2, false);
        var dora = assertThrows(LlamaCppException.class, () ->
                LlamaCppLoraExporter.export(FIXTURES.resolve("llama-dora-embedding"), base, dir.resolve("x.gguf"), GgufOutType.F32));
        assertTrue(dora.getMessage().contains("use_dora: llama.cpp has no DoRA magnitude vectors; merge the adapter into the base instead (peft4j merge)"),
                dora.getMessage());
        var saved = assertThrows(LlamaCppException.class, () ->
                LlamaCppLoraExporter.export(FIXTURES.resolve("llama-bias-save"), base, dir.resolve("x.gguf"), GgufOutType.F32));
        assertTrue(saved.getMessage().contains("modules_to_save [lm_head]: llama.cpp adapters hold only LoRA pairs"), saved.getMessage());
        assertTrue(saved.getMessage().contains("lora_bias: llama.cpp adapters have no bias"), saved.getMessage());
        assertFalse(saved.getMessage().contains("\n"));
        assertFalse(Files.exists(dir.resolve("x.gguf")));
        var layers = assertThrows(LlamaCppException.class, () ->
                LlamaCppLoraExporter.export(FIXTURES.resolve("llama-layers"), tinyLlama(1, false), dir.resolve("x.gguf"), GgufOutType.F32));
        assertTrue(layers.getMessage().contains("module model.layers.1.self_attn.k_proj: the base model has only 1 layers"), layers.getMessage());
    }

    @Test
    void aTargetWithoutALlamaCppTensorAndATiedHeadAreRefused() throws IOException {
        Path adapter = syntheticAdapter(List.of("model.layers.0.self_attn.rotary_proj", "lm_head"), 16, 40);
        var untied = assertThrows(LlamaCppException.class, () ->
                LlamaCppLoraExporter.export(adapter, tinyLlama(2, false), dir.resolve("x.gguf"), GgufOutType.F32));
        assertTrue(untied.getMessage().endsWith("module model.layers.0.self_attn.rotary_proj: llama.cpp has no tensor for it in architecture llama "
                + "(it applies LoRA to the attention and MLP projections, the token embedding and the output head); train without these targets "
                + "or merge the adapter into the base instead (peft4j merge) and convert the merged model with llama.cpp's convert_hf_to_gguf.py"),
                untied.getMessage());
        var tied = assertThrows(LlamaCppException.class, () ->
                LlamaCppLoraExporter.export(adapter, tinyLlama(2, true), dir.resolve("x.gguf"), GgufOutType.F32));
        assertTrue(tied.getMessage().contains("module lm_head: the base uses its token embedding as the output head, so llama.cpp's model has no output tensor for it"), tied.getMessage());
    }

    @Test
    void anEmbeddingLoraOnABaseWhoseHeadIsTheEmbeddingIsRefused() throws IOException {
        Path adapter = syntheticAdapter(List.of("model.embed_tokens"), 40, 16);
        assertEquals(List.of(), LlamaCppCompatibility.check(adapter, tinyLlama(2, false)).problems());
        assertEquals(List.of("module model.embed_tokens: the base uses its token embedding as the output head, and llama.cpp applies an "
                + "embedding LoRA to that head as well, where it does not fit (llama.cpp aborts: GGML_ASSERT ggml_can_mul_mat); train without it "
                + "or merge the adapter into the base instead (peft4j merge)"), LlamaCppCompatibility.check(adapter, tinyLlama(2, true)).problems());
    }

    /**
     * A LoRA adapter (r = 2) on the given modules, each {@code in -> out} (an embedding's
     * {@code in} is the vocabulary), written as PEFT lays it out.
     */
    private Path syntheticAdapter(List<String> modules, int in, int out) {
        Path adapter = dir.resolve("synthetic");
        List<TensorSpec> specs = new java.util.ArrayList<>();
        for (String m : modules) {
            boolean embedding = m.endsWith("embed_tokens");
            specs.add(new TensorSpec("base_model.model." + m + (embedding ? ".lora_embedding_A" : ".lora_A.weight"), DType.F32, new long[] {2, in}));
            specs.add(new TensorSpec("base_model.model." + m + (embedding ? ".lora_embedding_B" : ".lora_B.weight"), DType.F32, new long[] {out, 2}));
        }
        AdapterConfig.lora(2, 4, modules).writeTo(adapter);
        try (SafetensorsWriter writer = SafetensorsWriter.create(adapter.resolve(LoraAdapter.WEIGHTS_FILE), specs, Map.of("format", "pt"))) {
            for (TensorSpec s : specs) {
                writer.write(s.name(), new float[(int) (s.shape()[0] * s.shape()[1])]);
            }
            writer.commit();
        }
        return adapter;
    }

    @Test
    void theBaseConfigIsNeededAndMustBeAnArchitectureLlamaCppHas() throws IOException {
        var none = assertThrows(LlamaCppException.class, () ->
                LlamaCppLoraExporter.export(FIXTURES.resolve("llama-layers"), null, dir.resolve("x.gguf"), GgufOutType.F32));
        assertTrue(none.getMessage().contains("pass the base model's directory or its config.json (--base)"), none.getMessage());
        Path bert = Files.createDirectories(dir.resolve("bert"));
        Files.writeString(bert.resolve("config.json"), "{\"architectures\": [\"BertModel\"], \"num_hidden_layers\": 2, \"num_attention_heads\": 2}");
        var unsupported = assertThrows(LlamaCppException.class, () -> BaseModelConfig.read(bert));
        assertEquals(bert.resolve("config.json") + ": architecture 'BertModel' is not one peft4j converts for llama.cpp (supported: "
                + "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, GemmaForCausalLM, Gemma2ForCausalLM, GPT2LMHeadModel)",
                unsupported.getMessage());
    }

    @Test
    void aGgufFileIsCheckedAsLlamaCppLoadsAdapters() throws IOException {
        Path good = MalformedGgufTest.CORPUS.resolve("valid.gguf");
        assertEquals(List.of(), LlamaCppCompatibility.check(good, null).problems());
        assertEquals(List.of(), LlamaCppCompatibility.check(good, tinyLlama(2, false)).problems());
        Path bad = dir.resolve("bad.gguf");
        new GgufWriter()
                .put("general.architecture", GgufValue.string("qwen2"))
                .put("general.type", GgufValue.string("model"))
                .put("adapter.lora.alpha", new GgufValue(GgufValueType.FLOAT64, null, 16.0))
                .tensor("blk.0.attn_q.weight.lora_a", new long[] {2, 16}, GgmlType.F32, new float[32])
                .tensor("blk.0.ffn_norm.weight", new long[] {16}, GgmlType.F32, new float[16])
                .tensor("blk.0.attn_k.weight.extra", new long[] {16}, GgmlType.F32, new float[16])
                .write(bad);
        assertEquals(List.of(
                "general.type is 'model', not 'adapter': llama.cpp loads it as a model, not a LoRA adapter",
                "adapter.type is '', not 'lora'",
                "adapter.lora.alpha is a FLOAT64; llama.cpp reads it as a FLOAT32 and aborts on any other type",
                "general.architecture is 'qwen2' but the base (" + dir.resolve("base-2-false/config.json") + ") converts as 'llama'",
                "tensor blk.0.attn_k.weight.extra: not a .lora_a or .lora_b tensor; llama.cpp refuses the file",
                "blk.0.attn_q.weight: has lora_a but no lora_b"), LlamaCppCompatibility.check(bad, tinyLlama(2, false)).problems());
    }
}
