package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code peft4j export --format gguf}, {@code import}, {@code inspect FILE.gguf} and
 * {@code validate --for llama.cpp}, each run as a user runs them: a separate {@code java} process
 * with the CLI's class path, checking stdout, stderr and the exit code.
 */
class GgufCommandsTest {

    private static final Path ADAPTERS = Path.of("../../adapters/src/test/resources/peft");
    private static final Path CORPUS = Path.of("../../adapters/src/test/resources/gguf");

    @TempDir
    Path dir;

    /** One finished CLI process. */
    record Run(int exitCode, String out, String err) {
    }

    static Run peft4j(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "io.peft4j.cli.Main"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "peft4j did not finish");
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    /** make_peft_fixtures.py's tiny Llama: hidden 16, 2 layers, 2 heads over 1 KV head. */
    private Path tinyLlama() throws IOException {
        Path base = Files.createDirectories(dir.resolve("base"));
        Files.writeString(base.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "hidden_size": 16, "num_hidden_layers": 2,
                 "num_attention_heads": 2, "num_key_value_heads": 1, "tie_word_embeddings": false}""");
        return base;
    }

    @Test
    void exportInspectAndImportAnAdapter() throws Exception {
        Path base = tinyLlama();
        Path gguf = dir.resolve("patterns.gguf");
        Run export = peft4j("export", "--format", "gguf", ADAPTERS.resolve("llama-patterns").toString(), "--base", base.toString(),
                "--out", gguf.toString(), "--outtype", "q8_0");
        assertEquals(0, export.exitCode(), export.err());
        assertEquals("wrote " + gguf + ": llama.cpp LoRA adapter for llama, 12 tensors (q8_0; 12 in f16, their rows not a multiple of 32), alpha 8, "
                + "PEFT's per-module scaling folded into 1 module(s)", export.out().strip());

        Run inspect = peft4j("inspect", gguf.toString());
        assertEquals(0, inspect.exitCode(), inspect.err());
        List<String> lines = inspect.out().lines().toList();
        assertEquals("gguf  " + gguf, lines.get(0));
        assertTrue(lines.contains("  general.architecture          llama"), inspect.out());
        assertTrue(lines.contains("  adapter.lora.alpha            8.0"), inspect.out());
        assertTrue(lines.contains("  blk.0.attn_q.weight.lora_a       F16         [4, 16]                   128 B"), inspect.out());
        assertTrue(lines.contains("  blk.1.attn_v.weight.lora_b       F16         [8, 2]                     32 B"), inspect.out());
        assertTrue(lines.getLast().startsWith("total  12 tensors"), inspect.out());

        Path imported = dir.resolve("imported");
        Run back = peft4j("import", gguf.toString(), "--base", base.toString(), "--out", imported.toString());
        assertEquals(0, back.exitCode(), back.err());
        assertEquals("wrote " + imported + ": PEFT LoRA adapter, 6 modules, r=4, lora_alpha=8 (llama)", back.out().strip());
        assertTrue(Files.isRegularFile(imported.resolve("adapter_model.safetensors")));

        Run again = peft4j("import", gguf.toString(), "--base", base.toString(), "--out", imported.toString());
        assertEquals(1, again.exitCode());
        assertEquals("peft4j import: " + imported + ": output folder exists and is not empty"
                + " (--overwrite, or overwrite(true) in the API, replaces it)", again.err().strip());
        Run replaced = peft4j("import", gguf.toString(), "--base", base.toString(), "--out", imported.toString(), "--overwrite");
        assertEquals(0, replaced.exitCode(), replaced.err());

        Run exportAgain = peft4j("export", "--format", "gguf", ADAPTERS.resolve("llama-patterns").toString(), "--base",
                base.toString(), "--out", gguf.toString());
        assertEquals(1, exportAgain.exitCode());
        assertEquals("peft4j export: " + gguf + ": output file exists and is not empty"
                + " (--overwrite, or overwrite(true) in the API, replaces it)", exportAgain.err().strip());
    }

    @Test
    void validateForLlamaCppAndRefusalsAreOneLine() throws Exception {
        Path base = tinyLlama();
        Run fine = peft4j("validate", "--for", "llama.cpp", ADAPTERS.resolve("llama-rslora").toString(), "--base", base.toString());
        assertEquals(0, fine.exitCode(), fine.err());
        assertEquals(ADAPTERS.resolve("llama-rslora") + ": llama.cpp can load it once exported (peft4j export --format gguf)", fine.out().strip());

        Run dora = peft4j("validate", "--for", "llama.cpp", ADAPTERS.resolve("llama-dora-embedding").toString(), "--base", base.toString());
        assertEquals(1, dora.exitCode());
        assertEquals(List.of(ADAPTERS.resolve("llama-dora-embedding") + ": use_dora: llama.cpp has no DoRA magnitude vectors; merge the adapter "
                + "into the base instead (peft4j merge) and convert the merged model with llama.cpp's convert_hf_to_gguf.py, or train plain LoRA"),
                dora.err().lines().toList());

        Run refused = peft4j("export", "--format", "gguf", ADAPTERS.resolve("llama-bias-save").toString(), "--base", base.toString(),
                "--out", dir.resolve("x.gguf").toString());
        assertEquals(1, refused.exitCode());
        assertEquals(1, refused.err().lines().count(), refused.err());
        assertTrue(refused.err().startsWith("peft4j export: " + ADAPTERS.resolve("llama-bias-save") + ": llama.cpp cannot hold this adapter: modules_to_save [lm_head]"),
                refused.err());
        assertTrue(Files.notExists(dir.resolve("x.gguf")));

        Path malformed = CORPUS.resolve("malformed/tensor-gap.gguf");
        Run broken = peft4j("validate", "--for", "llama.cpp", malformed.toString());
        assertEquals(1, broken.exitCode());
        assertEquals("peft4j validate: " + malformed + ": tensor 'blk.0.attn_q.weight.lora_b' data starts at offset 544 but llama.cpp expects 512, "
                + "right after tensor 'blk.0.attn_q.weight.lora_a'", broken.err().strip());

        Run usage = peft4j("export", "--format", "gguf", ADAPTERS.resolve("llama-rslora").toString(), "--out", "x.gguf", "--outtype", "q4_k");
        assertEquals(2, usage.exitCode());
        assertTrue(usage.err().startsWith("--outtype: unknown outtype 'q4_k' (f32, f16, bf16 or q8_0)"), usage.err());
    }
}
