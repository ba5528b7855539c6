package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.peft.AdapterConfig;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.TensorSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j validate --for vllm} on adapters written here and published ones, and the distributed options of {@code peft4j train}. */
class ValidateCommandTest {

    private static Path real(String name) {
        Path folder = Path.of("../../../shared/real-adapters");
        Assumptions.assumeTrue(Files.isDirectory(folder), "shared/real-adapters/ is not beside this checkout; skipping");
        return folder.resolve(name);
    }

    @Test
    void humanOutputOnAdaptersOfThisCheckout(@TempDir Path dir) throws Exception {
        Path adapter = Files.createDirectories(dir.resolve("r8"));
        String module = "base_model.model.model.layers.0.self_attn.q_proj";
        List<TensorSpec> specs = List.of(new TensorSpec(module + ".lora_A.weight", DType.F32, new long[] {8, 16}),
                new TensorSpec(module + ".lora_B.weight", DType.F32, new long[] {16, 8}));
        try (SafetensorsWriter w = SafetensorsWriter.create(adapter.resolve("adapter_model.safetensors"), specs, Map.of("format", "pt"))) {
            specs.forEach(spec -> w.write(spec.name(), new float[(int) spec.numel()]));
            w.commit();
        }
        AdapterConfig.lora(8, 16, List.of("q_proj")).writeTo(adapter);
        CliRun servable = CliRun.of("validate", "--for", "vllm", adapter.toString());
        assertEquals(0, servable.exitCode(), servable.err());
        assertEquals(adapter + ": vLLM can serve it (rank 8, --max-lora-rank 16)" + System.lineSeparator(), servable.out());

        Path patterns = Path.of("../../adapters/src/test/resources/peft/llama-patterns");
        CliRun refused = CliRun.of("validate", "--for", "vllm", patterns.toString());
        assertEquals(1, refused.exitCode());
        assertEquals("", refused.out());
        assertEquals(List.of(patterns + ": rank_pattern {v_proj=2}: vLLM ignores per-module ranks and would scale every module by lora_alpha/r",
                patterns + ": alpha_pattern {layers.1.self_attn.q_proj=32.0}: vLLM ignores per-module alphas and would scale every"
                        + " module by lora_alpha/r"), refused.err().lines().toList());
    }

    @Test
    void aServableAdapterExitsZero() {
        Path adapter = real("tinyllama-r4-ckpt75");
        CliRun run = CliRun.of("validate", "--for", "vllm", adapter.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(adapter + ": vLLM can serve it (rank 4, --max-lora-rank 16)", run.out().strip());
    }

    @Test
    void eachProblemIsOneLineAndTheExitCodeIsOne() {
        Path adapter = real("gpt2-seqcls-mts");
        CliRun run = CliRun.of("validate", "--for", "vllm", adapter.toString(), "--max-lora-rank", "1");
        assertEquals(1, run.exitCode());
        var lines = run.err().strip().lines().toList();
        assertEquals(3, lines.size(), run.err());
        assertTrue(lines.stream().allMatch(l -> l.startsWith(adapter + ": ")), run.err());
        assertTrue(lines.get(2).endsWith("rank 8 is above --max-lora-rank 1 (serve with --max-lora-rank 8)"), lines.get(2));
    }

    @Test
    void badArgumentsAreOneLine() {
        Path adapter = real("tinyllama-r4-ckpt75");
        CliRun badRank = CliRun.of("validate", "--for", "vllm", adapter.toString(), "--max-lora-rank", "24");
        assertEquals(1, badRank.exitCode());
        assertEquals("peft4j validate: --max-lora-rank 24 is not one vLLM accepts: [1, 8, 16, 32, 64, 128, 256, 320, 512]",
                badRank.err().strip());
        assertEquals(2, CliRun.of("validate", "--for", "tgi", adapter.toString()).exitCode());
    }

    @Test
    void anAdapterInspectRefusesIsNeverCalledServable(@TempDir Path dir) {
        String q = "base_model.model.model.layers.0.self_attn.q_proj";
        AdapterConfig.lora(4, 8, List.of("q_proj")).writeTo(dir);
        List<TensorSpec> specs = List.of(new TensorSpec(q + ".lora_A.weight", DType.F32, new long[] {4, 8}),
                new TensorSpec(q + ".lora_B.weight", DType.F32, new long[] {16, 3}));
        try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("adapter_model.safetensors"), specs, Map.of())) {
            specs.forEach(s -> w.write(s.name(), new float[(int) s.numel()]));
            w.commit();
        }
        CliRun inspect = CliRun.of("inspect", dir.toString());
        CliRun validate = CliRun.of("validate", "--for", "vllm", dir.toString());
        assertEquals(1, inspect.exitCode(), inspect.out());
        assertEquals(1, validate.exitCode(), validate.out());
        assertEquals("", validate.out());
        assertEquals(inspect.err().replace("peft4j inspect: ", "peft4j validate: "), validate.err());
        assertTrue(validate.err().contains("lora_A has rank 4 but lora_B has rank 3"), validate.err());
    }

    @Test
    void trainRejectsSeveralNodesWithoutAMaster(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("base"));
        Files.writeString(dir.resolve("base/config.json"), "{}");
        Files.writeString(dir.resolve("data.jsonl"), "{\"text\": \"hi\"}\n");
        CliRun run = CliRun.of("train", "--base", dir.resolve("base").toString(), "--data", dir.resolve("data.jsonl").toString(),
                "--out", dir.resolve("out").toString(), "--nproc-per-node", "2", "--nnodes", "2", "--node-rank", "1");
        assertEquals(1, run.exitCode());
        assertEquals("peft4j train: several nodes need the master address and port of node 0", run.err().strip());
    }
}
