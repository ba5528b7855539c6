package io.peft4j.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.output.OutputExistsException;
import io.peft4j.safetensors.DType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The output directory's life: overwrite replaces and never deletes an input; unfinished outputs of
 * dead processes are swept, those of live ones and anything not provably ours are kept.
 */
class OutputDirectoryTest {

    private static final List<String> TARGETS = List.of("model.layers.0.proj", "model.layers.1.proj");

    @TempDir
    Path temp;

    private Path base() throws IOException {
        return TinyCheckpoints.base(temp.resolve("base"), "model.", DType.BF16, "{\"model_type\": \"tiny\"}");
    }

    private Path adapter() throws IOException {
        return TinyCheckpoints.adapter(temp.resolve("a"), 4, 12, 16, TARGETS, 3, Map.of());
    }

    private List<String> hidden() throws IOException {
        try (Stream<Path> list = Files.list(temp)) {
            return list.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).sorted().toList();
        }
    }

    @Test
    void overwriteReplacesAFullOutputAndLeavesNothingBehind() throws IOException {
        Path base = base();
        Path a = adapter();
        Path out = Files.createDirectories(temp.resolve("merged"));
        Files.writeString(out.resolve("keep.txt"), "mine");
        assertThrows(OutputExistsException.class, () -> BaseMerger.merge(MergeOptions.builder(base, out).adapter(a).build()));
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));

        MergeReport report = BaseMerger.merge(MergeOptions.builder(base, out).adapter(a).overwrite(true).build());
        assertEquals(2, report.changed());
        assertFalse(Files.exists(out.resolve("keep.txt")), "replaced, not mixed");
        assertTrue(Files.exists(out.resolve("model.safetensors")));
        assertEquals(List.of(), hidden(), "no temporary, replaced or lock file left");
    }

    @Test
    void overwriteNeverReplacesAnInput() throws IOException {
        Path base = base();
        Path a = adapter();
        OutputExistsException e = assertThrows(OutputExistsException.class,
                () -> BaseMerger.merge(MergeOptions.builder(base, base).adapter(a).overwrite(true).build()));
        assertTrue(e.getMessage().contains("would replace the input"), e.getMessage());
        e = assertThrows(OutputExistsException.class, () -> LoraSoup.soup(SoupOptions.builder(SoupMethod.LINEAR, temp)
                .adapter(a, 1).overwrite(true).build()));
        assertTrue(e.getMessage().contains("would replace the input"), e.getMessage());
        assertTrue(Files.exists(base.resolve("model.safetensors")) && Files.exists(a.resolve("adapter_model.safetensors")));
    }

    @Test
    void sweepsOnlyUnfinishedOutputsWhoseProcessIsProvablyGone() throws Exception {
        Path base = base();
        Path a = adapter();
        // killed (SIGKILL) merge: its directory and its lock file, the lock released by the system
        Path dead = Files.createDirectories(temp.resolve(".old-merge.tmp-0123456789abcdef"));
        Files.writeString(dead.resolve("model-00001-of-00002.safetensors"), "partial");
        Files.createFile(temp.resolve(".old-merge.tmp-0123456789abcdef.lock"));
        // a merge running in another process: its lock is held
        Path live = Files.createDirectories(temp.resolve(".running.tmp-fedcba9876543210"));
        Path liveLock = Files.createFile(temp.resolve(".running.tmp-fedcba9876543210.lock"));
        // look-alikes that are not provably ours: no lock file beside them
        Files.createDirectories(temp.resolve(".someone.tmp-1111111111111111"));
        Files.createDirectories(temp.resolve(".model.tmp-abc"));

        Process holder = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-cp",
                System.getProperty("java.class.path"), HoldLock.class.getName(), liveLock.toString()).start();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(holder.getInputStream()))) {
            assertEquals("locked", lines.readLine());
            BaseMerger.merge(MergeOptions.builder(base, temp.resolve("merged")).adapter(a).build());
            assertEquals(List.of(".model.tmp-abc", ".running.tmp-fedcba9876543210", ".running.tmp-fedcba9876543210.lock",
                    ".someone.tmp-1111111111111111"), hidden());
            assertTrue(Files.isDirectory(live));
        } finally {
            holder.destroyForcibly().waitFor();
        }
        // once its process is gone, the next run sweeps it too
        BaseMerger.merge(MergeOptions.builder(base, temp.resolve("merged2")).adapter(a).build());
        assertEquals(List.of(".model.tmp-abc", ".someone.tmp-1111111111111111"), hidden());
    }
}
