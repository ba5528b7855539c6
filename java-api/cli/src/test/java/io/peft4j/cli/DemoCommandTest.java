package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command, shortened: every step runs, every output it names exists, and it runs again. */
class DemoCommandTest {

    @Test
    void theDemoRunsEndToEnd(@TempDir Path dir) throws Exception {
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

        // the demo owns its folder: a second run replaces its outputs (it failed at step 5: merged/ not empty)
        CliRun again = CliRun.of("demo", "--out", out.toString(), "--steps", "4");
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(again.out().contains("[6/6]") && again.out().contains("done in"), again.out());
        assertEquals(4, Files.readAllLines(out.resolve("colors-lora/metrics.jsonl")).size(), "replaced, not appended to");
        try (Stream<Path> left = Files.list(out)) {
            assertEquals(List.of(".peft4j-demo"), left.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList(),
                    "no temporary files left");
        }
    }

    @Test
    void aFolderTheDemoDidNotMakeIsRefused(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("notes.txt"), "mine");
        CliRun run = CliRun.of("demo", "--out", dir.toString());
        assertEquals(Main.EXIT_FAILURE, run.exitCode());
        assertEquals("peft4j demo: " + dir + ": output folder exists and is not empty (--overwrite, or overwrite(true) in the API,"
                + " replaces it)" + System.lineSeparator(), run.err());
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of("notes.txt"), left.map(p -> p.getFileName().toString()).toList(), "nothing changed");
        }
    }
}
