package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command, shortened: every step runs and every output it names exists. */
class DemoCommandTest {

    @Test
    void theDemoRunsEndToEnd(@TempDir Path dir) {
        Path out = dir.resolve("demo");
        CliRun run = CliRun.of("demo", "--out", out.toString(), "--steps", "40");
        assertEquals(0, run.exitCode(), run.err());
        for (String step : new String[] {"[1/6]", "[2/6]", "[3/6]", "[4/6]", "[5/6]", "[6/6]", "done in"}) {
            assertTrue(run.out().contains(step), step + " in\n" + run.out());
        }
        assertTrue(run.out().contains("quiz: 0/12 capitals right"), "a random model knows no capitals:\n" + run.out());
        assertTrue(run.out().contains("same answers as base + adapter on 12/12"), "merged model = base + adapter:\n" + run.out());
        for (String file : new String[] {"base/config.json", "capitals-lora/adapter_model.safetensors",
                "capitals-lora/metrics.jsonl", "capitals-lora/loss.png", "merged/model.safetensors",
                "colors-lora/adapter_config.json", "soup-cat/adapter_model.safetensors", "soup-ziplora/adapter_config.json"}) {
            assertTrue(Files.isRegularFile(out.resolve(file)), file);
        }
    }
}
