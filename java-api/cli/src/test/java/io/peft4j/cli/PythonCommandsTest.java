package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands that run Python, each in a process of its own as a user types them: tiny-model,
 * train (a short run), generate and plot, with what they print, and the overwrite rule on each
 * (refused without {@code --overwrite}, nothing changed; replaced with it).
 */
class PythonCommandsTest {

    private static final String REFUSED = ": output %s exists and is not empty (--overwrite, or overwrite(true) in the API, replaces it)%n";

    @TempDir
    Path dir;

    @Test
    void tinyModelTrainGenerateAndPlot() throws IOException {
        Path tiny = dir.resolve("tiny");
        CliRun made = CliRun.of("tiny-model", "--out", tiny.toString());
        assertEquals(0, made.exitCode(), made.err());
        assertEquals("tiny model: " + tiny + System.lineSeparator(), made.out());
        CliRun remade = CliRun.of("tiny-model", "--out", tiny.toString());
        assertEquals(Main.EXIT_FAILURE, remade.exitCode());
        assertEquals("peft4j tiny-model: " + tiny + String.format(REFUSED, "folder"), remade.err());

        Path data = dir.resolve("capitals.jsonl");
        try (InputStream in = getClass().getResourceAsStream("/io/peft4j/demo/capitals.jsonl")) {
            Files.copy(in, data);
        }
        Path lora = Files.createDirectories(dir.resolve("lora"));
        Files.writeString(lora.resolve("notes.txt"), "an earlier run");
        String[] train = {"train", "--base", tiny.toString(), "--data", data.toString(), "--out", lora.toString(),
            "--max-steps", "2", "--rank", "4"};
        CliRun refused = CliRun.of(train);
        assertEquals(Main.EXIT_FAILURE, refused.exitCode());
        assertEquals("peft4j train: " + lora + String.format(REFUSED, "folder"), refused.err());
        assertEquals("an earlier run", Files.readString(lora.resolve("notes.txt")), "a refused run changes nothing");

        String[] overwrite = Arrays.copyOf(train, train.length + 1);
        overwrite[train.length] = "--overwrite";
        CliRun trained = CliRun.of(overwrite);
        assertEquals(0, trained.exitCode(), trained.err());
        var lines = trained.out().lines().toList();
        assertTrue(lines.getFirst().startsWith("training 2 steps on 12 examples (adamw_torch, "), trained.out());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("step 2/2  epoch ")), trained.out());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("done after 2/2 steps: loss ")), trained.out());
        assertEquals("adapter: " + lora, lines.getLast(), trained.out());
        assertFalse(Files.exists(lora.resolve("notes.txt")), "--overwrite replaced the folder");
        assertEquals(2, Files.readAllLines(lora.resolve("metrics.jsonl")).size());

        CliRun generated = CliRun.of("generate", "--base", tiny.toString(), "--adapter", lora.toString(),
                "--prompt", "Q: What is the capital of France?\nA:", "--max-new-tokens", "4");
        assertEquals(0, generated.exitCode(), generated.err());
        assertTrue(generated.out().endsWith(System.lineSeparator()) && generated.out().length() > 1, generated.out());

        Path metrics = lora.resolve("metrics.jsonl");
        CliRun replot = CliRun.of("plot", metrics.toString());
        assertEquals(Main.EXIT_FAILURE, replot.exitCode(), "training drew loss.png already");
        assertEquals("peft4j plot: " + lora.resolve("loss.png") + String.format(REFUSED, "file"), replot.err());
        Path png = dir.resolve("curve.png");
        CliRun plotted = CliRun.of("plot", metrics.toString(), "--out", png.toString());
        assertEquals(0, plotted.exitCode(), plotted.err());
        assertEquals(png + System.lineSeparator(), plotted.out());
        byte[] magic = Arrays.copyOf(Files.readAllBytes(png), 4);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, magic);
        assertEquals(0, CliRun.of("plot", metrics.toString(), "--out", png.toString(), "--overwrite").exitCode());
    }
}
