package io.peft4j.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.peft.AdapterConfig;
import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * peft4j's GGUF adapters checked by llama.cpp itself (llama-cpp-python 0.3.36 and the converters
 * vendored in its source package, driven by {@code src/test/python/llama_cpp/llama_cpp_check.py}):
 * <ul>
 *   <li>{@code peft4j export} writes the same tensors as {@code convert_lora_to_gguf.py}, bit for
 *       bit, at f32, f16, bf16 and q8_0, for Llama, Mistral, Qwen2 and Gemma bases, and the same
 *       functional metadata; for GPT-2 the converter swaps A and B (and llama.cpp refuses its file),
 *       peft4j does not;</li>
 *   <li>the base converted by {@code convert_hf_to_gguf.py}, loaded in llama-cpp-python with
 *       peft4j's f32 adapter, gives transformers + PEFT's next-token logits (within 1e-4; GPT-2
 *       5e-3) and greedy continuation, for plain LoRA on Llama, Qwen2 and GPT-2, and for rsLoRA and
 *       rank/alpha-pattern adapters, where the converter's own rsLoRA file is off by whole logits;
 *       at f16, bf16 and q8_0 the logits stay close (see {@link #atF16Bf16AndQ8ZeroLogitsStayCloseToPefts()});</li>
 *   <li>llama.cpp refuses the malformed corpus and loads {@code valid.gguf};</li>
 *   <li>an imported export is the original adapter again, for PEFT too.</li>
 * </ul>
 * Runs when {@code PEFT4J_PYTHON} names an environment with llama-cpp-python ({@code ./peft4j test}'s
 * test layer); skipped otherwise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LlamaCppCrossCheckTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SCRIPT = Path.of("src/test/python/llama_cpp/llama_cpp_check.py");
    private static final List<String> OUT_TYPES = List.of("f32", "f16", "bf16", "q8_0");
    /** Adapter, its base: converted by llama.cpp's converter and by peft4j at every outtype. */
    private static final Map<String, String> CONVERTED = Map.of("llama-lora", "llama", "mistral-lora", "mistral",
            "qwen2-lora", "qwen2", "gemma-lora", "gemma", "gpt2-lora", "gpt2", "llama-lora-bf16", "llama");
    /** Keys the converter derives from the adapter's model card, which llama.cpp never reads and peft4j does not write. */
    private static final Set<String> DESCRIPTIVE = Set.of("general.base_model.count", "general.base_model.0.name",
            "general.base_model.0.repo_url", "general.tags");
    /** Token ids (the tiny tokenizer has 320 tokens). */
    private static final List<List<Integer>> PROMPTS = List.of(List.of(1, 45, 67, 89, 120), List.of(1, 200, 13),
            List.of(5, 6, 7, 8, 9, 10, 11, 250, 3), List.of(300));
    private static final int NEW_TOKENS = 8;
    /**
     * Largest difference allowed between llama.cpp's and PEFT's next-token logits (which span about
     * ±6) for Llama and Qwen2: both compute in float32 (F32 base, F32 KV cache), summing in
     * different orders; measured: at most 9.1e-6.
     */
    private static final double LOGIT_TOLERANCE = 1e-4;
    /**
     * The same for GPT-2, whose GELU ggml computes through a float16 lookup table
     * ({@code GGML_GELU_FP16}), so that the base alone differs from transformers by about 1e-3
     * (checked by {@link #gpt2sBaseAloneAlreadyDiffersByGgmlsGeluTable()}).
     */
    private static final double GPT2_LOGIT_TOLERANCE = 5e-3;

    private Path work;
    private Path python;
    private JsonNode manifest;
    private JsonNode results;
    private final Map<String, Integer> jobIndex = new LinkedHashMap<>();

    @BeforeAll
    void prepareAndRun(@TempDir Path work) throws Exception {
        this.work = work;
        String env = System.getenv("PEFT4J_PYTHON");
        Assumptions.assumeTrue(env != null && !env.isBlank(), "PEFT4J_PYTHON is not set: skipping the checks against llama.cpp");
        Path p = Path.of(env);
        python = Files.isDirectory(p) ? p.resolve("bin/python") : p;
        Map<String, Object> prepare = new LinkedHashMap<>();
        prepare.put("action", "prepare");
        prepare.put("out", work.resolve("fixtures").toString());
        List<List<String>> convert = new ArrayList<>();
        CONVERTED.keySet().forEach(name -> OUT_TYPES.forEach(outType -> convert.add(List.of(name, outType))));
        convert.add(List.of("llama-rslora", "f32"));
        prepare.put("convert", convert);
        manifest = runPython(prepare);
        for (var e : CONVERTED.entrySet()) {
            for (String outType : OUT_TYPES) {
                LlamaCppLoraExporter.export(adapter(e.getKey()), base(e.getValue()), ours(e.getKey(), outType), GgufOutType.parse(outType));
            }
        }
        for (String name : List.of("llama-rslora", "llama-patterns")) {
            LlamaCppLoraExporter.export(adapter(name), base("llama"), ours(name, "f32"), GgufOutType.F32);
        }
        List<Map<String, Object>> jobs = new ArrayList<>();
        for (String base : List.of("llama", "qwen2", "gpt2")) {
            job(jobs, base + "-lora", base, adapter(base + "-lora"), ours(base + "-lora", "f32"));
        }
        job(jobs, "llama-rslora", "llama", adapter("llama-rslora"), ours("llama-rslora", "f32"));
        job(jobs, "llama-patterns", "llama", adapter("llama-patterns"), ours("llama-patterns", "f32"));
        job(jobs, "llama-rslora-converter", "llama", adapter("llama-rslora"), converted("llama-rslora", "f32"));
        job(jobs, "llama-no-adapter", "llama", null, null);
        job(jobs, "gpt2-no-adapter", "gpt2", null, null);
        for (String outType : List.of("f16", "bf16", "q8_0")) {
            job(jobs, "llama-lora-" + outType, "llama", adapter("llama-lora"), ours("llama-lora", outType));
        }
        Path imported = work.resolve("imported-llama-lora");
        LlamaCppLoraImporter.importAdapter(ours("llama-lora", "f32"), base("llama"), imported);
        job(jobs, "imported", "llama", imported, null);
        jobs.getLast().remove("base_gguf");
        List<String> refusals = new ArrayList<>();
        refusals.add(MalformedGgufTest.CORPUS.resolve("valid.gguf").toAbsolutePath().toString());
        try (var files = Files.list(MalformedGgufTest.CORPUS.resolve("malformed"))) {
            files.filter(f -> f.toString().endsWith(".gguf")).sorted().forEach(f -> refusals.add(f.toAbsolutePath().toString()));
        }
        results = runPython(Map.of("action", "run", "jobs", jobs, "loads", List.of(
                Map.of("base", manifest.get("base_gguf").get("llama").get("path").asText(), "files", refusals),
                Map.of("base", manifest.get("base_gguf").get("gpt2").get("path").asText(),
                        "files", List.of(converted("gpt2-lora", "f32").toString(), ours("gpt2-lora", "f32").toString())))));
    }

    private void job(List<Map<String, Object>> jobs, String id, String base, Path adapter, Path gguf) {
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("base", base(base).toString());
        if (adapter != null) {
            job.put("adapter", adapter.toString());
        }
        job.put("base_gguf", manifest.get("base_gguf").get(base).get("path").asText());
        job.put("adapter_gguf", gguf == null ? null : gguf.toString());
        job.put("prompts", PROMPTS);
        job.put("new_tokens", NEW_TOKENS);
        jobIndex.put(id, jobs.size());
        jobs.add(job);
    }

    @Test
    void exportWritesTheConvertersTensorsBitForBitAtEveryOutType() {
        for (var e : CONVERTED.entrySet()) {
            if (e.getKey().startsWith("gpt2")) {
                continue;
            }
            for (String outType : OUT_TYPES) {
                String what = e.getKey() + " at " + outType;
                try (GgufFile theirs = GgufFile.open(converted(e.getKey(), outType)); GgufFile mine = GgufFile.open(ours(e.getKey(), outType))) {
                    assertEquals(functional(theirs), functional(mine), what + ": metadata");
                    assertEquals(Set.of(), difference(theirs.metadata().keySet(), mine.metadata().keySet(), DESCRIPTIVE), what);
                    assertEquals(theirs.tensors().size(), mine.tensors().size(), what);
                    for (int i = 0; i < theirs.tensors().size(); i++) {
                        GgufTensorInfo t = theirs.tensors().get(i);
                        GgufTensorInfo m = mine.tensors().get(i);
                        assertEquals(t.name(), m.name(), what);
                        assertEquals(t.type(), m.type(), what + " " + t.name());
                        assertArrayEquals(t.dimensions(), m.dimensions(), what + " " + t.name());
                        assertEquals(-1, theirs.data(t).mismatch(mine.data(m)), what + " " + t.name() + ": bytes differ");
                    }
                }
            }
        }
    }

    @Test
    void forGpt2TheConverterSwapsAAndBAndLlamaCppRefusesItsFile() {
        try (GgufFile theirs = GgufFile.open(converted("gpt2-lora", "f32")); GgufFile mine = GgufFile.open(ours("gpt2-lora", "f32"))) {
            assertEquals(functional(theirs), functional(mine));
            for (GgufTensorInfo m : mine.tensors()) {
                if (m.name().startsWith("token_embd")) {
                    assertEquals(-1, theirs.data(theirs.find(m.name()).orElseThrow()).mismatch(mine.data(m)), m.name());
                    continue;
                }
                boolean isA = m.name().endsWith(".lora_a");
                String other = m.name().substring(0, m.name().length() - 1) + (isA ? "b" : "a");
                GgufTensorInfo t = theirs.find(other).orElseThrow();
                long[] shape = m.shape();
                assertArrayEquals(new long[] {shape[1], shape[0]}, t.shape(), m.name());
                assertArrayEquals(FactorLayout.transpose(mine.floats(m), (int) shape[0], (int) shape[1]), theirs.floats(t),
                        "the converter's " + other + " is peft4j's " + m.name() + " transposed");
            }
        }
        assertFalse(results.get("loads").get(converted("gpt2-lora", "f32").toString()).asBoolean(),
                "llama.cpp loads the converter's GPT-2 adapter");
        assertTrue(results.get("loads").get(ours("gpt2-lora", "f32").toString()).asBoolean(), "llama.cpp refuses peft4j's GPT-2 adapter");
    }

    @Test
    void llamaCppWithPeft4jsAdapterGivesPeftsLogitsAndContinuation() {
        for (String id : List.of("llama-lora", "qwen2-lora", "gpt2-lora", "llama-rslora", "llama-patterns")) {
            JsonNode r = result(id);
            double worst = maxDifference(r.get("reference_logits"), r.get("logits"));
            double tolerance = id.startsWith("gpt2") ? GPT2_LOGIT_TOLERANCE : LOGIT_TOLERANCE;
            assertTrue(worst < tolerance, id + ": next-token logits differ by " + worst);
            assertEquals(r.get("reference_greedy"), r.get("greedy"), id + ": greedy continuation");
        }
    }

    @Test
    void gpt2sBaseAloneAlreadyDiffersByGgmlsGeluTable() {
        double llama = maxDifference(result("llama-no-adapter").get("reference_logits"), result("llama-no-adapter").get("logits"));
        double gpt2 = maxDifference(result("gpt2-no-adapter").get("reference_logits"), result("gpt2-no-adapter").get("logits"));
        assertTrue(llama < LOGIT_TOLERANCE, "llama base alone: " + llama);
        assertTrue(gpt2 > 1e-4 && gpt2 < GPT2_LOGIT_TOLERANCE, "gpt2 base alone: " + gpt2);
    }

    @Test
    void theConvertersRsLoraFileIsScaledWrongAndTheCheckSeesIt() {
        // the converter writes rsLoRA factors untouched, so llama.cpp scales them by alpha / r instead
        // of PEFT's alpha / sqrt(r): the comparison that passes for peft4j's file must fail for it
        JsonNode converter = result("llama-rslora-converter");
        double worst = maxDifference(converter.get("reference_logits"), converter.get("logits"));
        assertTrue(worst > 1000 * LOGIT_TOLERANCE, "the converter's rsLoRA file is off by only " + worst);
        JsonNode none = result("llama-no-adapter");
        assertTrue(maxDifference(none.get("logits"), result("llama-lora").get("logits")) > 1000 * LOGIT_TOLERANCE,
                "the adapter hardly changes llama.cpp's logits");
    }

    /**
     * At f16, bf16 and q8_0 the factors are rounded (bit-identical to the converter's), and llama.cpp
     * also rounds the activations it multiplies them with to the factors' type (F16, BF16, or Q8_0
     * blocks), so its logits move away from PEFT's float32 ones; measured on this deliberately
     * strong adapter (logits within ±5.4): f16 0.011, bf16 0.072, q8_0 0.139, with the greedy
     * continuation unchanged at f16 and its first token unchanged at bf16 and q8_0 (later tokens
     * of near-tied random logits do change).
     */
    @Test
    void atF16Bf16AndQ8ZeroLogitsStayCloseToPefts() {
        Map<String, Double> tolerance = Map.of("f16", 0.03, "bf16", 0.2, "q8_0", 0.3);
        tolerance.forEach((outType, bound) -> {
            JsonNode r = result("llama-lora-" + outType);
            double worst = maxDifference(r.get("reference_logits"), r.get("logits"));
            assertTrue(worst < bound, outType + ": next-token logits differ by " + worst);
            for (int p = 0; p < PROMPTS.size(); p++) {
                assertEquals(r.get("reference_greedy").get(p).get(0), r.get("greedy").get(p).get(0), outType + ": next token of prompt " + p);
            }
        });
        assertEquals(result("llama-lora-f16").get("reference_greedy"), result("llama-lora-f16").get("greedy"), "f16 greedy continuation");
    }

    @Test
    void llamaCppRefusesTheMalformedCorpusAndLoadsTheValidFile() throws IOException {
        JsonNode loads = results.get("loads");
        assertTrue(loads.get(MalformedGgufTest.CORPUS.resolve("valid.gguf").toAbsolutePath().toString()).asBoolean(), "valid.gguf");
        JsonNode expected = JSON.readTree(MalformedGgufTest.CORPUS.resolve("malformed/expected.json").toFile());
        expected.properties().forEach(e -> {
            String file = MalformedGgufTest.CORPUS.resolve("malformed").resolve(e.getKey()).toAbsolutePath().toString();
            boolean accepts = e.getValue().get("llama_cpp").asText().equals("accepts");
            assertEquals(accepts, loads.get(file).asBoolean(), e.getKey() + ": llama.cpp " + (accepts ? "refuses" : "accepts") + " it");
        });
    }

    @Test
    void theReaderOpensTheBaseModelsLlamaCppWrote() {
        Map<String, String> embeddings = Map.of("llama", "model.embed_tokens.weight", "qwen2", "model.embed_tokens.weight",
                "gpt2", "transformer.wte.weight");
        embeddings.forEach((base, name) -> {
            Path gguf = Path.of(manifest.get("base_gguf").get(base).get("path").asText());
            try (GgufFile file = GgufFile.open(gguf); SafetensorsFile hf = SafetensorsFile.open(base(base).resolve("model.safetensors"))) {
                assertEquals(base.equals("llama") ? "llama" : base, file.string("general.architecture").orElseThrow());
                assertTrue(file.metadata().get("tokenizer.ggml.tokens").asList().size() >= 320, base + ": the vocabulary");
                GgufTensorInfo embedding = file.find("token_embd.weight").orElseThrow();
                assertArrayEquals(hf.tensor(name).shape(), embedding.shape(), base);
                assertArrayEquals(hf.tensor(name).toFloatArray(), file.floats(embedding), base + ": token_embd.weight");
            }
        });
    }

    @Test
    void anImportedExportIsTheOriginalAdapter() throws IOException {
        for (String name : List.of("llama-lora", "qwen2-lora", "gpt2-lora")) {
            Path imported = work.resolve("imported-" + name);
            if (!Files.exists(imported)) {
                LlamaCppLoraImporter.importAdapter(ours(name, "f32"), base(CONVERTED.get(name)), imported);
            }
            try (SafetensorsFile a = SafetensorsFile.open(adapter(name).resolve("adapter_model.safetensors"));
                 SafetensorsFile b = SafetensorsFile.open(imported.resolve("adapter_model.safetensors"))) {
                int compared = 0;
                for (TensorInfo t : a.tensors()) {
                    if (t.name().contains(".base_layer.")) {
                        continue; // PEFT's copy of the base embedding, not part of the adapter
                    }
                    MemorySegment mine = b.tensor(t.name()).data();
                    assertEquals(-1, a.tensor(t.name()).data().mismatch(mine), name + " " + t.name());
                    compared++;
                }
                assertEquals(compared, b.tensors().size(), name);
            }
            AdapterConfig original = AdapterConfig.read(adapter(name));
            AdapterConfig back = AdapterConfig.read(imported);
            assertEquals(original.rank(), back.rank(), name);
            assertEquals(original.loraAlpha(), back.loraAlpha(), name);
            assertEquals(original.fanInFanOut(), back.fanInFanOut(), name);
        }
        JsonNode peft = result("imported").get("reference_logits");
        assertEquals(0.0, maxDifference(result("llama-lora").get("reference_logits"), peft), "PEFT with the imported adapter");
    }

    private JsonNode result(String id) {
        JsonNode r = results.get("jobs").get(jobIndex.get(id));
        assertFalse(r.has("error") && !id.endsWith("converter"), id + ": " + r.path("error").asText());
        return r;
    }

    private static double maxDifference(JsonNode expected, JsonNode actual) {
        double worst = 0;
        for (int p = 0; p < expected.size(); p++) {
            for (int i = 0; i < expected.get(p).size(); i++) {
                worst = Math.max(worst, Math.abs(expected.get(p).get(i).asDouble() - actual.get(p).get(i).asDouble()));
            }
        }
        return worst;
    }

    /** The metadata llama.cpp reads, in file order, with values; general.name is descriptive and compared by type only. */
    private static Map<String, Object> functional(GgufFile file) {
        Map<String, Object> out = new LinkedHashMap<>();
        file.metadata().forEach((k, v) -> {
            if (!DESCRIPTIVE.contains(k)) {
                out.put(k, k.equals("general.name") ? v.type() : v);
            }
        });
        return out;
    }

    private static Set<String> difference(Set<String> theirs, Set<String> mine, Set<String> allowed) {
        Set<String> out = new java.util.TreeSet<>(theirs);
        out.removeAll(mine);
        out.removeAll(allowed);
        Set<String> extra = new java.util.TreeSet<>(mine);
        extra.removeAll(theirs);
        out.addAll(extra);
        return out;
    }

    private Path adapter(String name) {
        return Path.of(manifest.get("adapters").get(name).get("path").asText());
    }

    private Path base(String name) {
        return Path.of(manifest.get("bases").get(name).asText());
    }

    private Path converted(String adapter, String outType) {
        JsonNode entry = manifest.get("converted").get(adapter + "-" + outType);
        assertFalse(entry.has("error"), adapter + " " + outType + ": the converter failed: " + entry.path("error").asText());
        return Path.of(entry.get("path").asText());
    }

    private Path ours(String adapter, String outType) {
        return work.resolve("peft4j").resolve(adapter + "-" + outType + ".gguf");
    }

    private JsonNode runPython(Map<String, Object> request) throws IOException, InterruptedException {
        Files.createDirectories(work.resolve("peft4j"));
        Path requestFile = work.resolve("request.json");
        Path resultFile = work.resolve("result.json");
        Files.deleteIfExists(resultFile);
        JSON.writeValue(requestFile.toFile(), request);
        Path log = work.resolve("python.log");
        Process process = new ProcessBuilder(python.toString(), SCRIPT.toString(), requestFile.toString(), resultFile.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        if (!process.waitFor(20, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("llama_cpp_check.py did not finish in 20 minutes; log: " + Files.readString(log));
        }
        Assumptions.assumeTrue(process.exitValue() != 3, "llama-cpp-python is not installed in " + python + ": skipping the checks against llama.cpp");
        assertEquals(0, process.exitValue(), "llama_cpp_check.py failed: " + tail(log));
        return JSON.readTree(resultFile.toFile());
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }
}
