package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.peft.AdapterConfig;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.TensorSpec;
import java.io.IOException;
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

    /** Through a real process with its output piped: plain progress lines with MB/s on stderr, the result on stdout. */
    @Test
    void mergeShowsProgressAsPlainLinesWhenPiped() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process process = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "merge", "--base", base().toString(), "--adapter", adapter("a", 2).toString(),
                "--out", temp.resolve("merged").toString()).redirectError(temp.resolve("err.txt").toFile()).start();
        String out = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), out);
        List<String> err = Files.readAllLines(temp.resolve("err.txt"));
        assertTrue(out.startsWith("merged 1 adapter(s) into "), out);
        assertTrue(!err.isEmpty() && err.stream().allMatch(l -> l.matches("merge: [0-9.]+ of [0-9.]+ MB \\(\\d+%\\), \\d+/2 tensors, \\d+ MB/s")), String.join("\n", err));
        assertTrue(err.getLast().contains("(100%), 2/2 tensors"), String.join("\n", err));
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
