package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j inspect} on adapters, plain files and broken input, through the real CLI. */
class InspectCommandTest {

    static final Path FIXTURES = Path.of("../adapters/src/test/resources");

    @Test
    void adapterSummaryAndJson() throws IOException {
        Path adapter = FIXTURES.resolve("peft/llama-patterns");
        CliRun human = CliRun.of("inspect", adapter.toString());
        assertEquals(0, human.exitCode(), human.err());
        assertTrue(human.out().contains("rank_pattern {v_proj=2}"), human.out());
        assertTrue(human.out().contains("1 x LINEAR r=4 scaling 8"), human.out());
        assertTrue(human.out().contains("trainable    608 parameters"), human.out());

        CliRun json = CliRun.of("inspect", adapter.toString(), "--json");
        JsonNode root = new ObjectMapper().readTree(json.out());
        assertEquals("adapter", root.get("kind").asText());
        assertEquals(12, root.get("tensorCount").asInt());
        JsonNode modules = root.get("adapter").get("modules");
        assertEquals(6, modules.size());
        for (JsonNode m : modules) {
            String name = m.get("module").asText();
            double expected = name.endsWith("v_proj") ? 4.0 : name.equals("model.layers.1.self_attn.q_proj") ? 8.0 : 2.0;
            assertEquals(expected, m.get("scaling").asDouble(), name);
        }
    }

    @Test
    void everyRealAdapterInspects() throws IOException {
        Path real = Path.of("../../shared/real-adapters");
        assumeTrue(Files.isDirectory(real), "shared/real-adapters/ is not beside this checkout; skipping");
        try (Stream<Path> dirs = Files.list(real)) {
            for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                CliRun run = CliRun.of("inspect", dir.toString(), "--json");
                assertEquals(0, run.exitCode(), dir + ": " + run.err());
                JsonNode root = new ObjectMapper().readTree(run.out());
                assertTrue(root.get("adapter").get("modules").size() > 0, dir.toString());
                assertEquals("pt", root.get("metadata").get("format").asText());
            }
        }
    }

    @Test
    void plainSafetensorsFile() {
        CliRun run = CliRun.of("inspect", FIXTURES.resolve("peft/conv2d/adapter_model.safetensors").toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("safetensors  "), run.out());
        assertTrue(run.out().contains("base_model.model.conv.lora_A.weight"), run.out());
    }

    @Test
    void badInputIsOneLineOnStderr(@TempDir Path tmp) throws IOException {
        Path garbage = Files.writeString(tmp.resolve("bad.safetensors"), "this is not a safetensors file");
        for (String path : new String[] {garbage.toString(), tmp.resolve("missing").toString()}) {
            CliRun run = CliRun.of("inspect", path);
            assertEquals(Main.EXIT_FAILURE, run.exitCode());
            assertEquals(1, run.err().lines().count(), run.err());
            assertTrue(run.err().startsWith("peft4j inspect: "), run.err());
            assertTrue(run.err().contains(path), run.err());
            assertFalse(run.err().contains("\tat "), "no stack trace");
        }
    }
}
