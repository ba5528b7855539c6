package io.peft4j.examples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs a child process (Python or a JVM), samples its memory from {@code /proc/PID/status} every
 * 10 ms, and reads the {@code {"seconds": ...}} JSON line it prints last (the child times its own
 * work, so interpreter and JVM start-up do not count).
 *
 * @param seconds     the work's time as reported by the child
 * @param peakRssMb   the largest resident set seen (VmRSS: anonymous plus touched file pages)
 * @param peakAnonMb  the largest anonymous resident memory seen (RssAnon: heap, copies; not mapped files)
 */
record MeasuredProcess(double seconds, double peakRssMb, double peakAnonMb) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static MeasuredProcess run(List<String> command) throws IOException, InterruptedException {
        return run(command, false);
    }

    /**
     * Like {@link #run(List)}, but for a tool that prints no timing: {@code seconds} is the whole
     * process's wall time, start-up included.
     */
    static MeasuredProcess wall(List<String> command) throws IOException, InterruptedException {
        return run(command, true);
    }

    private static MeasuredProcess run(List<String> command, boolean wallTime) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Path log = Files.createTempFile("peft4j-bench", ".log");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            Path status = Path.of("/proc", Long.toString(process.pid()), "status");
            long peakRss = 0;
            long peakAnon = 0;
            while (process.isAlive()) {
                try {
                    for (String line : Files.readAllLines(status)) {
                        if (line.startsWith("VmRSS:")) {
                            peakRss = Math.max(peakRss, kilobytes(line));
                        } else if (line.startsWith("RssAnon:")) {
                            peakAnon = Math.max(peakAnon, kilobytes(line));
                        }
                    }
                } catch (IOException exited) {
                    break;
                }
                Thread.sleep(10);
            }
            String output = Files.readString(log);
            if (process.waitFor() != 0) {
                throw new IllegalStateException("failed: " + String.join(" ", command) + "\n" + output);
            }
            if (wallTime) {
                return new MeasuredProcess((System.nanoTime() - start) / 1e9, peakRss / 1024.0, peakAnon / 1024.0);
            }
            List<String> lines = output.lines().filter(l -> l.startsWith("{\"seconds\"")).toList();
            if (lines.isEmpty()) {
                throw new IllegalStateException("no timing printed by: " + String.join(" ", command) + "\n" + output);
            }
            JsonNode timing = JSON.readTree(lines.getLast());
            return new MeasuredProcess(timing.get("seconds").asDouble(), peakRss / 1024.0, peakAnon / 1024.0);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static long kilobytes(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }

    /** The venv's python from {@code PEFT4J_PYTHON}. */
    static Path python() {
        String venv = System.getenv("PEFT4J_PYTHON");
        if (venv == null) {
            throw new IllegalStateException("set PEFT4J_PYTHON to the venv with torch and peft (see peft4j setup --print-python)");
        }
        Path exe = Path.of(venv, "bin", "python");
        return Files.isExecutable(exe) ? exe : Path.of(venv);
    }

    /** {@code examples/src/main/python/merge_bench.py}, found from the working directory upwards. */
    static Path script() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            for (Path candidate : List.of(dir.resolve("examples/src/main/python/merge_bench.py"),
                    dir.resolve("src/main/python/merge_bench.py"))) {
                if (Files.isRegularFile(candidate)) {
                    return candidate;
                }
            }
        }
        throw new IllegalStateException("run from the peft4j checkout: examples/src/main/python/merge_bench.py not found");
    }

    /** The synthetic model and adapters in {@code work}, generated with PEFT on first use. */
    static Path ensureGenerated(Path work) throws IOException, InterruptedException {
        if (!Files.isDirectory(work.resolve("adapter2"))) {
            System.out.println("generating the synthetic Llama-shaped bf16 base and three rank-16 adapters with PEFT in " + work);
            Process p = new ProcessBuilder(python().toString(), script().toString(), "generate", work.toString())
                    .inheritIO().start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("generating the benchmark model failed");
            }
        }
        return work;
    }

    /**
     * The command that runs {@code mainClass} in a fresh JVM with this JVM's class path, {@code -Xmx}
     * and the Vector API module (SIMD fused multiply-adds in the merge).
     */
    static List<String> java(String maxHeap, Class<?> mainClass, String... args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new java.util.ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "--add-modules", "jdk.incubator.vector",
                "-Xmx" + maxHeap, "-cp", System.getProperty("java.class.path"), mainClass.getName()));
        command.addAll(List.of(args));
        return command;
    }
}
