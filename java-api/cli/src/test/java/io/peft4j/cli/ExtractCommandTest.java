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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code peft4j extract}, {@code peft4j diff} and {@code peft4j inspect --stats} run as a user runs
 * them: a separate {@code java ... io.peft4j.cli.Main} process, on a tiny BASE/TUNED pair written here
 * (TUNED = BASE + a rank-2 update of two bf16 projections).
 */
class ExtractCommandTest {

    @TempDir
    Path temp;

    /** Exit code, stdout and stderr of one CLI process. */
    private record Result(int code, String out, String err) {}

    private Result cli(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "io.peft4j.cli.Main"));
        command.addAll(List.of(args));
        Path out = temp.resolve("stdout.txt");
        Path err = temp.resolve("stderr.txt");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the CLI finished");
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

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
        Result run = cli("extract", "--base", dir.resolve("base").toString(), "--tuned", dir.resolve("tuned").toString(),
                "--out", adapter.toString(), "--rank", "8", "--energy", "0.99");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("extracted 2 module(s) into " + adapter + ": r=2"), run.out());
        assertTrue(run.out().matches("(?s).*model\\.layers\\.0\\.self_attn\\.q_proj +24x16 +2 +100\\.00% .*"), run.out());
        assertTrue(Files.isRegularFile(adapter.resolve("adapter_model.safetensors")));

        Result inspect = cli("inspect", adapter.toString());
        assertTrue(inspect.out().contains("adapter_model.safetensors"), "the last print reaches stdout: " + inspect.out());

        Result stats = cli("inspect", "--stats", adapter.toString());
        assertEquals(0, stats.code(), stats.err());
        assertTrue(stats.out().contains("eff.rank") && stats.out().contains("2 module(s), total ||delta||"), stats.out());

        Result json = cli("inspect", "--stats", "--json", adapter.toString());
        JsonNode modules = new ObjectMapper().readTree(json.out()).get("modules");
        assertEquals(2, modules.size());
        assertEquals(2, modules.get(0).get("effectiveRank").asInt());

        Result diff = cli("diff", adapter.toString(), adapter.toString());
        assertEquals(0, diff.code(), diff.err());
        assertTrue(diff.out().contains("cosine of the whole updates 1.0000"), diff.out());

        Result vllm = cli("validate", "--for", "vllm", adapter.toString(), "--max-lora-rank", "8");
        assertEquals(0, vllm.code(), "one rank, no patterns: vLLM serves it: " + vllm.out() + vllm.err());
        assertTrue(vllm.out().contains("vLLM can serve it (rank 2"), vllm.out());

        Result padded = cli("extract", "--base", dir.resolve("base").toString(), "--tuned", dir.resolve("tuned").toString(),
                "--out", dir.resolve("padded").toString(), "--rank", "8", "--uniform-rank", "--json");
        assertEquals(0, padded.code(), padded.err());
        JsonNode report = new ObjectMapper().readTree(padded.out());
        assertEquals(2, report.get("modules").size());
        assertTrue(report.get("relativeError").asDouble() < 0.01, padded.out());
    }

    @Test
    void mistakesAreOneLineAndNonZero() throws Exception {
        Path dir = pair();
        Result missing = cli("extract", "--base", dir.resolve("base").toString(), "--out", dir.resolve("x").toString());
        assertEquals(1, missing.code());
        assertEquals("peft4j extract: needs --base and --tuned (or --from-adapter DIR)", missing.err().strip());

        Files.writeString(dir.resolve("tuned/config.json"), "{\"model_type\": \"gpt2\"}");
        Result other = cli("extract", "--base", dir.resolve("base").toString(), "--tuned", dir.resolve("tuned").toString(),
                "--out", dir.resolve("x").toString());
        assertEquals(1, other.code());
        assertEquals(1, other.err().strip().lines().count(), other.err());
        assertTrue(other.err().contains("same architecture") && !other.err().contains("Exception"), other.err());
        assertFalse(Files.exists(dir.resolve("x")), "no output left behind");

        Result energy = cli("extract", "--base", dir.resolve("base").toString(), "--tuned", dir.resolve("base").toString(),
                "--out", dir.resolve("x").toString(), "--energy", "1.5");
        assertEquals(1, energy.code());
        assertEquals("peft4j extract: --energy must be a fraction in (0, 1], got 1.5", energy.err().strip());
    }
}
