package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The estimate subcommand end to end, in a process of its own ({@link CliRun}). */
class EstimateCommandTest {

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        CliRun run = CliRun.of(args);
        return new Result(run.exitCode(), run.out(), run.err());
    }

    @Test
    void tableForABundledModel() {
        Result r = run("estimate", "--base", "meta-llama/Meta-Llama-3-8B", "--method", "qlora", "--rank", "16",
                "--targets", "all-linear", "--batch-size", "1", "--seq-len", "2048", "--gradient-checkpointing",
                "--gpu", "RTX-4090", "--tokens", "10000000");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("8,030,261,248"), r.out());
        assertTrue(r.out().contains("GPU RTX-4090 (24 GiB): fits"), r.out());
        assertTrue(r.out().contains("MFU 0.25 (assumed)"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("total")), r.out());
    }

    @Test
    void jsonSaysHowManyGpusAFullFineTuneNeeds() throws Exception {
        Result r = run("estimate", "--base", "meta-llama/Meta-Llama-3-8B", "--method", "full", "--precision", "mixed",
                "--gpu", "A100-80GB", "--gradient-checkpointing", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals(8_030_261_248L, json.get("parameters").asLong());
        assertEquals(8_030_261_248L, json.get("trainable_parameters").asLong());
        assertEquals(false, json.get("gpu").get("fits").asBoolean());
        assertTrue(json.get("gpu").get("gpus_needed").asInt() >= 2, r.out());
        // 16 bytes/param model state (4 weights + 2 autocast copy + 4 gradients + 8 AdamW) ~ 144 GB
        long state = json.get("memory_bytes").get("weights").asLong() + json.get("memory_bytes").get("gradients").asLong()
                + json.get("memory_bytes").get("optimizer_states").asLong();
        assertEquals(18 * 8_030_261_248L, state);
    }

    @Test
    void badInputIsOneLineAndNonZero() {
        Result unknownModel = run("estimate", "--base", "no/such/dir");
        assertEquals(Main.EXIT_FAILURE, unknownModel.code());
        assertEquals(1, unknownModel.err().strip().lines().count(), unknownModel.err());
        assertTrue(unknownModel.err().startsWith("peft4j estimate: no/such/dir: no such local folder, and not a Hub id"),
                unknownModel.err());

        Result badGpu = run("estimate", "--base", "openai-community/gpt2", "--gpu", "A200");
        assertEquals(Main.EXIT_FAILURE, badGpu.code());
        assertTrue(badGpu.err().startsWith("peft4j estimate: GPU 'A200' is unknown"), badGpu.err());

        Result badMethod = run("estimate", "--base", "openai-community/gpt2", "--method", "prefix");
        assertEquals(Main.EXIT_FAILURE, badMethod.code());
        assertEquals("peft4j estimate: method 'prefix' is not one of full, lora, qlora, dora, rslora", badMethod.err().strip());

        Result noTargets = run("estimate", "--base", "openai-community/gpt2", "--targets", "q_proj");
        assertEquals(Main.EXIT_FAILURE, noTargets.code());
        assertTrue(noTargets.err().contains("match no linear or embedding module of gpt2"), noTargets.err());
    }

    @Test
    void listsGpus() {
        Result r = run("estimate", "--list-gpus");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("A100-80GB"), r.out());
    }
}
