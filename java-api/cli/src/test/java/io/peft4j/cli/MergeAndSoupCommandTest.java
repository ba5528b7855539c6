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
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j merge} and {@code peft4j soup} end to end on small files written here. */
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
    void mergeOutputIsPlainWhenPiped() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process process = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "merge", "--base", base().toString(), "--adapter", adapter("a", 2).toString(),
                "--out", temp.resolve("merged").toString()).redirectError(temp.resolve("err.txt").toFile()).start();
        String out = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), out);
        assertTrue(out.matches("merged 1 adapter\\(s\\) into \\S+: 2 tensors \\(1 changed\\), 1 shard\\(s\\), \\S+ \\S+ in [0-9.]+ s\\n"), out);
        assertEquals("", Files.readString(temp.resolve("err.txt")));
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
