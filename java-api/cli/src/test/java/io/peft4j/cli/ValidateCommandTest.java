package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j validate --for vllm} on published adapters, and the distributed options of {@code peft4j train}. */
class ValidateCommandTest {

    private static Path real(String name) {
        Path folder = Path.of("../../shared/real-adapters");
        Assumptions.assumeTrue(Files.isDirectory(folder), "shared/real-adapters/ is not beside this checkout; skipping");
        return folder.resolve(name);
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
