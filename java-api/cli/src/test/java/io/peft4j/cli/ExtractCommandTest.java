package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code peft4j extract}, {@code peft4j diff} and {@code peft4j inspect --stats} run as a user runs
 * them: a separate {@code java ... io.peft4j.cli.Main} process ({@link CliRun}), on a tiny BASE/TUNED pair written here
 * (TUNED = BASE + a rank-2 update of two bf16 projections).
 */
class ExtractCommandTest {

    @TempDir
    Path temp;

    private Path pair() throws IOException {
        Random rnd = new Random(3);
        Map<String, float[]> base = new LinkedHashMap<>();
        Map<String, float[]> tuned = new LinkedHashMap<>();
        for (String m : List.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj")) {
            float[] w = new float[24 * 16];
            float[] u = new float[24 * 2];
            float[] v = new float[2 * 16];
            for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
            for (int i = 0; i < u.length; i++) u[i] = (float) rnd.nextGaussian();
            for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
            float[] t = w.clone();
            for (int o = 0; o < 24; o++) {
                for (int i = 0; i < 16; i++) {
                    t[o * 16 + i] += u[o * 2] * v[i] + u[o * 2 + 1] * v[16 + i];
                }
            }
            base.put(m + ".weight", w);
            tuned.put(m + ".weight", t);
        }
        for (String which : List.of("base", "tuned")) {
            Path dir = Files.createDirectories(temp.resolve(which));
            Map<String, float[]> values = which.equals("base") ? base : tuned;
            List<TensorSpec> specs = values.keySet().stream().map(n -> new TensorSpec(n, DType.BF16, new long[] {24, 16})).toList();
            try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("model.safetensors"), specs, Map.of("format", "pt"))) {
                values.forEach(w::write);
                w.commit();
            }
            Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\", \"architectures\": [\"LlamaForCausalLM\"]}");
        }
        return temp;
    }

    @Test
    void extractThenInspectDiffAndValidateTheResult() throws Exception {
        Path dir = pair();
        Path adapter = dir.resolve("adapter");
        CliRun run = CliRun.of("extract", "--base", dir.resolve("base").toString(), "--tuned", dir.resolve("tuned").toString(),
                "--out", adapter.toString(), "--rank", "8", "--energy", "0.99");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("extracted 2 module(s) into " + adapter + ": r=2"), run.out());
        assertTrue(run.out().matches("(?s).*model\\.layers\\.0\\.self_attn\\.q_proj +24x16 +2 +100\\.00% .*"), run.out());
        assertTrue(Files.isRegularFile(adapter.resolve("adapter_model.safetensors")));

        CliRun inspect = CliRun.of("inspect", adapter.toString());
        assertTrue(inspect.out().contains("adapter_model.safetensors"), "the last print reaches stdout: " + inspect.out());

        CliRun stats = CliRun.of("inspect", "--stats", adapter.toString());
        assertEquals(0, stats.exitCode(), stats.err());
        assertTrue(stats.out().contains("eff.rank") && stats.out().contains("2 module(s), total ||delta||"), stats.out());

        CliRun json = CliRun.of("inspect", "--stats", "--json", adapter.toString());
        JsonNode modules = new ObjectMapper().readTree(json.out()).get("modules");
        assertEquals(2, modules.size());
        assertEquals(2, modules.get(0).get("effectiveRank").asInt());

        CliRun diff = CliRun.of("diff", adapter.toString(), adapter.toString());
        assertEquals(0, diff.exitCode(), diff.err());
        assertTrue(diff.out().contains("cosine of the whole updates 1.0000"), diff.out());

        CliRun vllm = CliRun.of("validate", "--for", "vllm", adapter.toString(), "--max-lora-rank", "8");
        assertEquals(0, vllm.exitCode(), "one rank, no patterns: vLLM serves it: " + vllm.out() + vllm.err());
        assertTrue(vllm.out().contains("vLLM can serve it (rank 2"), vllm.out());

        CliRun padded = CliRun.of("extract", "--base", dir.resolve("base").toString(), "--tuned", dir.resolve("tuned").toString(),
                "--out", dir.resolve("padded").toString(), "--rank", "8", "--uniform-rank", "--json");
        assertEquals(0, padded.exitCode(), padded.err());
        JsonNode report = new ObjectMapper().readTree(padded.out());
        assertEquals(2, report.get("modules").size());
        assertTrue(report.get("relativeError").asDouble() < 0.01, padded.out());

        CliRun again = CliRun.of("extract", "--base", dir.resolve("base").toString(), "--tuned", dir.resolve("tuned").toString(),
                "--out", adapter.toString(), "--rank", "4");
        assertEquals(1, again.exitCode());
        assertEquals("peft4j extract: " + adapter + ": output folder exists and is not empty"
                + " (--overwrite, or overwrite(true) in the API, replaces it)", again.err().strip());
        CliRun replaced = CliRun.of("extract", "--base", dir.resolve("base").toString(), "--tuned", dir.resolve("tuned").toString(),
                "--out", adapter.toString(), "--rank", "4", "--overwrite");
        assertEquals(0, replaced.exitCode(), replaced.err());
    }

    @Test
    void mistakesAreOneLineAndNonZero() throws Exception {
        Path dir = pair();
        CliRun missing = CliRun.of("extract", "--base", dir.resolve("base").toString(), "--out", dir.resolve("x").toString());
        assertEquals(1, missing.exitCode());
        assertEquals("peft4j extract: needs --base and --tuned (or --from-adapter DIR)", missing.err().strip());

        Files.writeString(dir.resolve("tuned/config.json"), "{\"model_type\": \"gpt2\"}");
        CliRun other = CliRun.of("extract", "--base", dir.resolve("base").toString(), "--tuned", dir.resolve("tuned").toString(),
                "--out", dir.resolve("x").toString());
        assertEquals(1, other.exitCode());
        assertEquals(1, other.err().strip().lines().count(), other.err());
        assertTrue(other.err().contains("same architecture") && !other.err().contains("Exception"), other.err());
        assertFalse(Files.exists(dir.resolve("x")), "no output left behind");

        CliRun energy = CliRun.of("extract", "--base", dir.resolve("base").toString(), "--tuned", dir.resolve("base").toString(),
                "--out", dir.resolve("x").toString(), "--energy", "1.5");
        assertEquals(1, energy.exitCode());
        assertEquals("peft4j extract: --energy must be a fraction in (0, 1], got 1.5", energy.err().strip());
    }
}
