package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.merge.MergeListener;
import io.peft4j.peft.AdapterConfig;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j merge} and {@code peft4j soup} end to end on small files written here, each in a process of its own. */
class MergeAndSoupCommandTest {

    @TempDir
    Path temp;

    private static void write(Path file, Map<String, long[]> shapes, DType dtype, long seed) {
        Random rnd = new Random(seed);
        List<TensorSpec> specs = shapes.entrySet().stream().map(e -> new TensorSpec(e.getKey(), dtype, e.getValue())).toList();
        try (SafetensorsWriter w = SafetensorsWriter.create(file, specs, Map.of("format", "pt"))) {
            for (TensorSpec s : specs) {
                float[] v = new float[(int) s.numel()];
                for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
                w.write(s.name(), v);
            }
            w.commit();
        }
    }

    private Path base() throws IOException {
        Path dir = Files.createDirectories(temp.resolve("base"));
        write(dir.resolve("model.safetensors"), Map.of("model.q.weight", new long[] {8, 6}, "model.k.weight", new long[] {8, 6}), DType.BF16, 1);
        Files.writeString(dir.resolve("config.json"), "{}");
        return dir;
    }

    private Path adapter(String name, long seed) throws IOException {
        Path dir = Files.createDirectories(temp.resolve(name));
        write(dir.resolve("adapter_model.safetensors"), Map.of(
                "base_model.model.model.q.lora_A.weight", new long[] {2, 6},
                "base_model.model.model.q.lora_B.weight", new long[] {8, 2}), DType.F32, seed);
        AdapterConfig.lora(2, 4, List.of("q")).writeTo(dir);
        return dir;
    }

    @Test
    void mergeWritesTheModelAndReportsIt() throws IOException {
        CliRun run = CliRun.of("merge", "--base", base().toString(), "--adapter", adapter("a", 2) + ":0.5",
                "--out", temp.resolve("merged").toString(), "--dtype", "f32");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("2 tensors (1 changed)"), run.out());
        try (SafetensorsFile f = SafetensorsFile.open(temp.resolve("merged").resolve("model.safetensors"))) {
            assertEquals(DType.F32, f.info("model.q.weight").dtype());
        }
    }

    /** Through a real process with its output piped: no bar or control characters; a small merge prints only its result. */
    @Test
    void mergeOutputIsPlainWhenPiped() throws IOException {
        CliRun run = CliRun.of("merge", "--base", base().toString(), "--adapter", adapter("a", 2).toString(),
                "--out", temp.resolve("merged").toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().matches("merged 1 adapter\\(s\\) into \\S+: 2 tensors \\(1 changed\\), 1 shard\\(s\\), \\S+ \\S+ in [0-9.]+ s\\n"), run.out());
        assertEquals("", run.err());
    }

    /** On a terminal: a progress bar over the bytes, in MB, with the speed and the tensors done. */
    @Test
    void mergeShowsABarOnATerminal() throws IOException {
        CliRun run = CliRun.onTerminal("merge", "--base", base().toString(), "--adapter", adapter("a", 2).toString(),
                "--out", temp.resolve("merged").toString());
        assertEquals(0, run.exitCode(), run.out());
        assertTrue(run.out().contains("merge 100%") && run.out().contains("MB/s 2/2 tensors"), run.out());
        assertTrue(run.out().contains("merged 1 adapter(s) into "), run.out());
    }

    /** Off a terminal: one line per tenth of the bytes of a large output, with the speed; nothing for a small one. */
    @Test
    void pipedProgressIsALinePerTenthOfALargeOutput() {
        StringWriter err = new StringWriter();
        long[] now = {0};
        MergeProgress.Lines lines = new MergeProgress.Lines(new PrintWriter(err, true), () -> now[0]);
        now[0] = 1_000_000_000L;
        lines.progress(new MergeListener.Progress("a", 1, 4, 500_000_000, 1_000_000_000));
        lines.progress(new MergeListener.Progress("b", 2, 4, 550_000_000, 1_000_000_000)); // same tenth
        now[0] = 2_000_000_000L;
        lines.progress(new MergeListener.Progress("c", 4, 4, 1_000_000_000, 1_000_000_000));
        assertEquals(List.of("merge: 500.0 of 1000.0 MB (50%), 1/4 tensors, 500 MB/s",
                "merge: 1000.0 of 1000.0 MB (100%), 4/4 tensors, 500 MB/s"), err.toString().lines().toList());
        StringWriter small = new StringWriter();
        new MergeProgress.Lines(new PrintWriter(small, true), () -> 0).progress(new MergeListener.Progress("a", 1, 1, 5, 5));
        assertEquals("", small.toString());
    }

    @Test
    void mergeRefusesAFullOutputUnlessOverwrite() throws IOException {
        Path out = temp.resolve("merged");
        String[] merge = {"merge", "--base", base().toString(), "--adapter", adapter("a", 2).toString(), "--out", out.toString()};
        assertEquals(0, CliRun.of(merge).exitCode());
        CliRun refused = CliRun.of(merge);
        assertEquals(1, refused.exitCode());
        assertEquals("peft4j merge: " + out + ": output folder exists and is not empty"
                + " (--overwrite, or overwrite(true) in the API, replaces it)\n", refused.err());
        assertEquals("", refused.out());

        String[] again = Arrays.copyOf(merge, merge.length + 3);
        again[merge.length] = "--overwrite";
        again[merge.length + 1] = "--dtype";
        again[merge.length + 2] = "f32";
        CliRun replaced = CliRun.of(again);
        assertEquals(0, replaced.exitCode(), replaced.err());
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            assertEquals(DType.F32, f.info("model.q.weight").dtype(), "the second merge replaced the first");
        }
        CliRun intoTheBase = CliRun.of("merge", "--base", temp.resolve("base").toString(), "--adapter", temp.resolve("a").toString(),
                "--out", temp.resolve("base").toString(), "--overwrite");
        assertEquals(1, intoTheBase.exitCode());
        assertTrue(intoTheBase.err().contains("would replace the input"), intoTheBase.err());
        assertTrue(CliRun.of("merge", "--help").out().contains("--overwrite"), "documented in --help");
    }

    @Test
    void aSoupOfOneAdapterSaysItIsLinear() throws IOException {
        CliRun run = CliRun.of("soup", "--method", "ties", "--density", "0.5", "--adapter", adapter("a", 2) + ":0.5",
                "--out", temp.resolve("one").toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("peft4j soup: warning: a single adapter has nothing to combine: ties acts as linear, as in PEFT's"
                + " add_weighted_adapter, so the result is the adapter times its weight (density unused)\n", run.err());
        assertTrue(run.out().startsWith("linear soup of 1 adapter(s) written to " + temp.resolve("one")
                + ": r = lora_alpha = 2, 1 modules, "), run.out());
    }

    @Test
    void nonFiniteMergedWeightsAreRefusedUnlessAllowed() throws IOException {
        Path base = base();
        Path huge = adapter("huge", 2);
        AdapterConfig.lora(2, 1e308, List.of("q")).writeTo(huge);
        CliRun refused = CliRun.of("merge", "--base", base.toString(), "--adapter", huge.toString(),
                "--out", temp.resolve("merged").toString());
        assertEquals(1, refused.exitCode());
        assertEquals(1, refused.err().strip().lines().count(), refused.err());
        assertTrue(refused.err().startsWith("peft4j merge: " + huge + " (module model.q) makes model.q.weight "), refused.err());
        assertTrue(Files.notExists(temp.resolve("merged")));
        CliRun allowed = CliRun.of("merge", "--base", base.toString(), "--adapter", huge.toString(),
                "--out", temp.resolve("merged").toString(), "--allow-non-finite");
        assertEquals(0, allowed.exitCode(), allowed.err());
    }

    @Test
    void mergeFailsInOneLine() throws IOException {
        CliRun run = CliRun.of("merge", "--base", base().toString(), "--adapter", temp.resolve("nope").toString(),
                "--out", temp.resolve("merged").toString());
        assertEquals(1, run.exitCode());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().startsWith("peft4j merge: "), run.err());
    }

    @Test
    void soupWritesAPeftAdapter() throws IOException {
        CliRun run = CliRun.of("soup", "--method", "svd", "--adapter", adapter("a", 2) + ":0.7",
                "--adapter", adapter("b", 3) + ":0.3", "--rank", "3", "--out", temp.resolve("soup").toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("svd soup of 2 adapter(s) written to " + temp.resolve("soup")
                + ": r = lora_alpha = 3, 1 modules, "), run.out());
        try (LoraAdapter soup = LoraAdapter.load(temp.resolve("soup"))) {
            assertEquals(3, soup.config().rank());
            assertEquals(3.0, soup.config().loraAlpha());
        }
        CliRun bad = CliRun.of("soup", "--method", "ties", "--adapter", temp.resolve("a").toString(),
                "--adapter", temp.resolve("b").toString(), "--out", temp.resolve("soup2").toString());
        assertEquals(1, bad.exitCode());
        assertTrue(bad.err().contains("needs a density"), bad.err());
    }

    @Test
    void aSoupRankLargerThanTheModulesAllowIsRefusedFirst() throws IOException {
        CliRun run = CliRun.of("soup", "--method", "svd", "--adapter", adapter("a", 2).toString(),
                "--adapter", adapter("b", 3).toString(), "--rank", "100000", "--out", temp.resolve("soup").toString());
        assertEquals(1, run.exitCode(), run.err());
        assertEquals("peft4j soup: rank 100000 is larger than model.q allows: its update is 8 x 6, so its rank is at most 6",
                run.err().strip());
        assertTrue(Files.notExists(temp.resolve("soup")));
    }
}
