package io.peft4j.output;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one overwrite rule: free outputs are written, full ones only with overwrite, inputs never. */
class OutputPolicyTest {

    @TempDir
    Path temp;

    @Test
    void aMissingOrEmptyOutputIsFree() throws IOException {
        assertDoesNotThrow(() -> OutputPolicy.checkFolder(temp.resolve("new"), false));
        assertDoesNotThrow(() -> OutputPolicy.checkFolder(Files.createDirectories(temp.resolve("empty")), false));
        assertDoesNotThrow(() -> OutputPolicy.checkFile(Files.createFile(temp.resolve("empty.png")), false));
    }

    @Test
    void aFullOutputNeedsOverwrite() throws IOException {
        Path full = Files.createDirectories(temp.resolve("full"));
        Files.writeString(full.resolve("keep.txt"), "mine");
        OutputExistsException e = assertThrows(OutputExistsException.class, () -> OutputPolicy.checkFolder(full, false));
        assertEquals(full + ": output folder exists and is not empty (--overwrite, or overwrite(true) in the API, replaces it)",
                e.getMessage());
        assertDoesNotThrow(() -> OutputPolicy.checkFolder(full, true));
        Path png = Files.writeString(temp.resolve("loss.png"), "png");
        assertThrows(OutputExistsException.class, () -> OutputPolicy.checkFile(png, false));
        assertDoesNotThrow(() -> OutputPolicy.checkFile(png, true));
        assertEquals("mine", Files.readString(full.resolve("keep.txt")), "checking changes nothing");
    }

    @Test
    void aFolderIsNeverReplacedByAFileOrTheOtherWayRound() throws IOException {
        Path file = Files.writeString(temp.resolve("model"), "x");
        Path folder = Files.createDirectories(temp.resolve("plot.png"));
        assertTrue(assertThrows(OutputExistsException.class, () -> OutputPolicy.checkFolder(file, true)).getMessage()
                .endsWith("output exists and is a file"));
        assertTrue(assertThrows(OutputExistsException.class, () -> OutputPolicy.checkFile(folder, true)).getMessage()
                .endsWith("output exists and is a folder"));
    }

    @Test
    void overwriteNeverDeletesAnInput() throws IOException {
        Path out = Files.createDirectories(temp.resolve("out"));
        Path base = Files.createDirectories(out.resolve("base"));
        Files.writeString(base.resolve("model.safetensors"), "weights");
        OutputExistsException e = assertThrows(OutputExistsException.class,
                () -> OutputPolicy.clearFolder(out, true, temp.resolve("data.jsonl"), base));
        assertTrue(e.getMessage().contains("would replace the input " + base), e.getMessage());
        assertThrows(OutputExistsException.class, () -> OutputPolicy.checkFolder(base, true, base));
        assertEquals("weights", Files.readString(base.resolve("model.safetensors")));
    }

    @Test
    void clearEmptiesTheFolderOnlyWithOverwrite() throws IOException {
        Path out = Files.createDirectories(temp.resolve("adapter/checkpoints/checkpoint-3"));
        Files.writeString(out.resolve("state.json"), "{}");
        Path adapter = temp.resolve("adapter");
        assertThrows(OutputExistsException.class, () -> OutputPolicy.clearFolder(adapter, false));
        assertTrue(Files.exists(out.resolve("state.json")));
        OutputPolicy.clearFolder(adapter, true);
        assertTrue(Files.isDirectory(adapter));
        try (Stream<Path> left = Files.list(adapter)) {
            assertEquals(0, left.count());
        }
    }
}
