package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.peft.AdapterConfig;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A merge stopped by a signal, in real processes: SIGTERM (what Ctrl-C, {@code kill} and timeouts
 * send) removes the unfinished output and exits non-zero; SIGKILL leaves it, and the next run
 * sweeps it; killing the {@code ./peft4j} launcher stops the merge too (the launcher execs the JVM).
 * The model is 64 bf16 tensors of 1024 x 1024 (128 MB) written in 4 MB shards, so a merge lasts long
 * enough to be caught between its first shard and its last.
 */
class MergeInterruptTest {

    private static final int LAYERS = 64;
    private static final int DIM = 1024;
    private static final int RANK = 8;

    @TempDir
    static Path inputs;

    @TempDir
    Path work;

    @BeforeAll
    static void writeModelAndAdapter() throws IOException {
        Path base = Files.createDirectories(inputs.resolve("base"));
        Path adapter = Files.createDirectories(inputs.resolve("adapter"));
        List<TensorSpec> weights = new ArrayList<>();
        List<TensorSpec> factors = new ArrayList<>();
        for (int i = 0; i < LAYERS; i++) {
            weights.add(new TensorSpec("model.layers." + i + ".proj.weight", DType.BF16, new long[] {DIM, DIM}));
            factors.add(new TensorSpec("base_model.model.model.layers." + i + ".proj.lora_A.weight", DType.F32, new long[] {RANK, DIM}));
            factors.add(new TensorSpec("base_model.model.model.layers." + i + ".proj.lora_B.weight", DType.F32, new long[] {DIM, RANK}));
        }
        write(base.resolve("model.safetensors"), weights);
        Files.writeString(base.resolve("config.json"), "{\"model_type\": \"tiny\"}");
        write(adapter.resolve("adapter_model.safetensors"), factors);
        AdapterConfig.lora(RANK, 2 * RANK, List.of("proj")).writeTo(adapter);
    }

    private static void write(Path file, List<TensorSpec> specs) {
        try (SafetensorsWriter w = SafetensorsWriter.create(file, specs, Map.of("format", "pt"))) {
            long state = 1;
            for (TensorSpec s : specs) {
                float[] v = new float[(int) s.numel()];
                for (int i = 0; i < v.length; i++) {
                    state = state * 6364136223846793005L + 1442695040888963407L;
                    v[i] = (int) (state >>> 40) / (float) (1 << 24) - 0.5f;
                }
                w.write(s.name(), v);
            }
            w.commit();
        }
    }

    private String[] mergeArgs(Path out) {
        return new String[] {"merge", "--base", inputs.resolve("base").toString(), "--adapter", inputs.resolve("adapter").toString(),
            "--out", out.toString(), "--max-shard-size", "4MB"};
    }

    private Process start(List<String> command) {
        return CliRun.start(command, work.resolve("stdout.txt"), work.resolve("stderr.txt"));
    }

    /** Waits until the merge has written a shard into its hidden temporary directory, and returns that directory. */
    private Path awaitPartialShard(Process merge, Path out) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            assertTrue(merge.isAlive(), "the merge ended before it could be interrupted: " + stderr());
            for (Path dir : hidden(out.getParent())) {
                if (Files.isDirectory(dir) && dir.getFileName().toString().startsWith("." + out.getFileName() + ".tmp-")) {
                    try (Stream<Path> files = Files.list(dir)) {
                        // shards are written as hidden temporary files, renamed when the last one is done
                        if (files.anyMatch(f -> f.getFileName().toString().contains(".safetensors"))) {
                            return dir;
                        }
                    } catch (IOException finishedMeanwhile) {
                        // renamed into place between the two calls: the merge is over, which the next round reports
                    }
                }
            }
            Thread.sleep(2);
        }
        throw new AssertionError("no shard written within 2 minutes: " + stderr());
    }

    /**
     * Sends SIGTERM to a merge caught in the middle: frozen first (SIGSTOP), so that it cannot finish
     * while the signal is on its way, checked to be unfinished, then terminated and let go (SIGCONT).
     */
    private void terminateMidway(Process merge, Path out) throws Exception {
        signal(merge, "STOP");
        assertFalse(Files.exists(out), "the merge finished before it could be stopped: " + stderr());
        merge.destroy(); // SIGTERM, pending until the process runs again
        signal(merge, "CONT");
    }

    private static void signal(Process process, String name) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).start().waitFor());
    }

    private String stderr() throws IOException {
        return Files.readString(work.resolve("stderr.txt"));
    }

    private static List<Path> hidden(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> p.getFileName().toString().startsWith(".")).sorted().toList();
        }
    }

    @Test
    void sigtermRemovesTheUnfinishedOutputAndExitsNonZero() throws Exception {
        Path out = work.resolve("merged");
        Process merge = start(CliRun.command(mergeArgs(out)));
        awaitPartialShard(merge, out);
        terminateMidway(merge, out);
        assertTrue(merge.waitFor(1, TimeUnit.MINUTES), "the merge did not stop on SIGTERM");
        assertNotEquals(0, merge.exitValue(), stderr());
        assertEquals(List.of(), hidden(work), "unfinished output left behind");
        assertFalse(Files.exists(out));
    }

    @Test
    void sigkillLeavesItAndTheNextRunSweepsIt() throws Exception {
        Path out = work.resolve("merged");
        Process merge = start(CliRun.command(mergeArgs(out)));
        Path partial = awaitPartialShard(merge, out);
        merge.destroyForcibly().waitFor(); // SIGKILL: no hook runs
        assertTrue(Files.isDirectory(partial), "nothing can clean up after SIGKILL");

        CliRun again = CliRun.of(mergeArgs(out));
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(again.out().startsWith("merged 1 adapter(s) into " + out), again.out());
        assertEquals(List.of(), hidden(work), "the dead merge's directory and lock swept");
        assertTrue(Files.exists(out.resolve("model.safetensors.index.json")));
    }

    @Test
    void killingTheLauncherStopsTheMergeAndLeavesNoJvm() throws Exception {
        Path launcher = FakeCheckout.create(work.resolve("checkout"));
        Path out = work.resolve("merged");
        // env execs the launcher in its own process, which the launcher then replaces by the JVM
        List<String> command = new ArrayList<>(List.of("env", "PEFT4J_JAVA_HOME=" + System.getProperty("java.home"),
                launcher.toString()));
        command.addAll(List.of(mergeArgs(out)));
        Process merge = start(command);
        awaitPartialShard(merge, out);
        List<ProcessHandle> children = merge.descendants().toList();
        terminateMidway(merge, out); // the signals go to the launcher's process id
        assertTrue(merge.waitFor(1, TimeUnit.MINUTES), "the launcher did not stop on SIGTERM");
        assertNotEquals(0, merge.exitValue(), stderr());
        assertEquals(List.of(), children.stream().filter(ProcessHandle::isAlive).toList(),
                "a process of the launcher outlived it (the JVM must replace the script, not run under it)");
        assertEquals(List.of(), hidden(work), "unfinished output left behind");
        assertFalse(Files.exists(out));
    }

    /**
     * A copy of the {@code peft4j} launcher in a folder laid out as a built checkout: the jar the
     * launcher runs is a manifest-only jar naming this test's class path, so the launcher finds
     * nothing to build and runs the classes under test.
     */
    static final class FakeCheckout {

        private static final Pattern PATH = Pattern.compile("(?m)^(JAR|LIB|STAMP)=\"\\$ROOT/([^\"]+)\"$");

        private FakeCheckout() {}

        static Path create(Path root) throws IOException, URISyntaxException {
            Path script = findLauncher();
            String text = Files.readString(script);
            Matcher m = PATH.matcher(text);
            Path jar = null;
            Path stamp = null;
            while (m.find()) {
                Path path = root.resolve(m.group(2));
                switch (m.group(1)) {
                    case "JAR" -> jar = path;
                    case "LIB" -> Files.createDirectories(path);
                    default -> stamp = path;
                }
            }
            assertTrue(jar != null && stamp != null, script + ": no JAR= or STAMP= line; the launcher's layout changed, update this test");
            Files.createDirectories(jar.getParent());
            Manifest manifest = new Manifest();
            manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            List<String> urls = new ArrayList<>();
            for (String entry : CliRun.classPath()) {
                Path p = Path.of(entry).toAbsolutePath();
                String relative = jar.getParent().relativize(p).toString();
                urls.add(new URI(null, null, relative + (Files.isDirectory(p) ? "/" : ""), null).toASCIIString());
            }
            manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", urls));
            try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest)) {
                out.flush();
            }
            Path copy = root.resolve("peft4j");
            Files.writeString(copy, text);
            Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
            markBuilt(root, stamp);
            return copy;
        }

        /**
         * Writes the build stamp the launcher expects for this folder's sources, computed by the
         * launcher's own {@code source_key} function, so that it runs the jar instead of building.
         */
        private static void markBuilt(Path root, Path stamp) throws IOException {
            Files.writeString(root.resolve("pom.xml"), "");
            Files.createDirectories(root.resolve("adapters"));
            Files.createDirectories(root.resolve("python-bridge"));
            Files.createDirectories(stamp.getParent());
            Process key = new ProcessBuilder("bash", "-c",
                    "ROOT=\"$1\"; eval \"$(sed -n '/^source_key() {/,/^}/p' \"$1/peft4j\")\"; source_key", "key", root.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String text = new String(key.getInputStream().readAllBytes()).strip();
            try {
                assertTrue(key.waitFor() == 0 && !text.isEmpty(), "the launcher's source_key failed");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            Files.writeString(stamp, text + "\n");
        }

        /** The {@code peft4j} launcher of this checkout: the nearest folder above with it and a pom.xml. */
        private static Path findLauncher() {
            for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
                if (Files.isRegularFile(dir.resolve("peft4j")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                    return dir.resolve("peft4j");
                }
            }
            throw new AssertionError("no peft4j launcher above " + Path.of("").toAbsolutePath());
        }
    }
}
