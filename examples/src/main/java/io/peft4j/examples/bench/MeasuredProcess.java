package io.peft4j.examples.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs a child process (Python, a JVM or the launcher), samples its memory (with its descendants')
 * from {@code /proc/PID/status} every 10 ms, and reads the {@code {"seconds": ...}} JSON line it prints
 * last (the child times its own work, so interpreter and JVM start-up do not count); a child that
 * prints none is timed from outside, start-up included.
 *
 * @param seconds     the work's time as reported by the child, else the wall time of the whole process
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
        Path log = Files.createTempFile("peft4j-bench", ".log");
        try {
            long start = System.nanoTime();
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long peakRss = 0;
            long peakAnon = 0;
            while (process.isAlive()) {
                long[] memory = memoryKb(process.toHandle());
                peakRss = Math.max(peakRss, memory[0]);
                peakAnon = Math.max(peakAnon, memory[1]);
                Thread.sleep(10);
            }
            int exit = process.waitFor();
            double wall = (System.nanoTime() - start) / 1e9;
            String output = Files.readString(log);
            if (exit != 0) {
                throw new IllegalStateException("failed: " + String.join(" ", command) + "\n" + output);
            }
            if (wallTime) {
                return new MeasuredProcess((System.nanoTime() - start) / 1e9, peakRss / 1024.0, peakAnon / 1024.0);
            }
            List<String> lines = output.lines().filter(l -> l.startsWith("{\"seconds\"")).toList();
            double seconds = lines.isEmpty() ? wall : JSON.readTree(lines.getLast()).get("seconds").asDouble();
            return new MeasuredProcess(seconds, peakRss / 1024.0, peakAnon / 1024.0);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** VmRSS and RssAnon in kB of {@code process} and its descendants (a launcher script and its JVM), summed. */
    private static long[] memoryKb(ProcessHandle process) {
        long[] sum = new long[2];
        java.util.stream.Stream.concat(java.util.stream.Stream.of(process), process.descendants()).forEach(p -> {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
                    if (line.startsWith("VmRSS:")) {
                        sum[0] += kilobytes(line);
                    } else if (line.startsWith("RssAnon:")) {
                        sum[1] += kilobytes(line);
                    }
                }
            } catch (IOException exited) {
                // gone between listing and reading
            }
        });
        return sum;
    }

    private static long kilobytes(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }

    /** The 1-minute load average from {@code /proc/loadavg} (this machine may be shared: print it beside timings). */
    static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    /** The median of {@code values}. */
    static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** The {@code peft4j} launcher of this checkout, found from the working directory upwards. */
    static Path launcher() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isExecutable(dir.resolve("peft4j")) && Files.isDirectory(dir.resolve("adapters"))) {
                return dir.resolve("peft4j");
            }
        }
        throw new IllegalStateException("run from the peft4j checkout: the peft4j launcher not found");
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
