package io.peft4j.examples.bench;

import io.peft4j.hub.HubClient;
import io.peft4j.hub.RetryPolicy;
import io.peft4j.hub.testing.LocalHub;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Downloads one large LFS file from a {@link LocalHub} on loopback, alternately with peft4j's
 * {@link HubClient} and with huggingface_hub's {@code hf_hub_download} (the venv's python as a
 * subprocess, timed inside Python so interpreter start-up does not count), each time into a fresh
 * cache, and prints the times and the ratio. Both follow the same redirect to the second host;
 * peft4j also checks the sha256 of the content, which huggingface_hub does not.
 *
 * <p>Usage: {@code HubDownloadBench [SIZE_MB] [ITERATIONS]} (default 1024 MB, 3 iterations), with
 * {@code PEFT4J_PYTHON} naming the venv (without it only Java is timed).
 */
public final class HubDownloadBench {

    private HubDownloadBench() {}

    /** Runs the benchmark. */
    public static void main(String[] args) throws Exception {
        int sizeMb = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path work = Path.of(System.getProperty("java.io.tmpdir"), "peft4j-hub-bench");
        Path big = bigFile(work, sizeMb);
        String python = System.getenv("PEFT4J_PYTHON");
        Path script = findScript();
        try (LocalHub hub = LocalHub.start()) {
            hub.createRepo("bench/big-adapter").file("adapter_model.safetensors", big).commit("big file");
            System.out.printf(Locale.ROOT, "file: %d MB LFS, served by LocalHub %s, redirected to %s%n", sizeMb, hub.endpoint(), hub.cdnBase());
            List<Double> java = new ArrayList<>();
            List<Double> py = new ArrayList<>();
            for (int i = 1; i <= iterations; i++) {
                java.add(timeJava(hub, work.resolve("cache-java")));
                System.out.printf(Locale.ROOT, "iteration %d  java   %.3f s  (%.0f MB/s)%n", i, java.getLast(), sizeMb / java.getLast());
                if (python != null) {
                    py.add(timePython(python, script, hub, work.resolve("cache-python")));
                    System.out.printf(Locale.ROOT, "iteration %d  python %.3f s  (%.0f MB/s)%n", i, py.getLast(), sizeMb / py.getLast());
                }
            }
            double j = median(java);
            System.out.printf(Locale.ROOT, "median java (peft4j HubClient, with sha256 check): %.3f s, %.0f MB/s%n", j, sizeMb / j);
            if (python == null) {
                System.out.println("PEFT4J_PYTHON is not set: huggingface_hub not timed");
                return;
            }
            double p = median(py);
            System.out.printf(Locale.ROOT, "median python (huggingface_hub hf_hub_download): %.3f s, %.0f MB/s%n", p, sizeMb / p);
            System.out.printf(Locale.ROOT, "ratio python/java: %.2fx (above 1 means Java is faster)%n", p / j);
        }
    }

    private static double timeJava(LocalHub hub, Path cache) throws IOException {
        deleteTree(cache);
        long start;
        Path file;
        double seconds;
        try (HubClient client = HubClient.builder().environment(Map.of()).token(null).endpoint(hub.endpoint()).cacheDir(cache)
                .retryPolicy(RetryPolicy.NONE).build()) {
            start = System.nanoTime();
            file = client.download("bench/big-adapter", "adapter_model.safetensors", "main");
            seconds = (System.nanoTime() - start) / 1e9;
        }
        check(file);
        deleteTree(cache);
        return seconds;
    }

    private static double timePython(String python, Path script, LocalHub hub, Path cache) throws IOException, InterruptedException {
        deleteTree(cache);
        Path exe = Files.isDirectory(Path.of(python)) ? Path.of(python, "bin", "python") : Path.of(python);
        Process process = new ProcessBuilder(exe.toString(), script.toString(), hub.endpoint(), cache.toString(),
                "bench/big-adapter", "adapter_model.safetensors").redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (process.waitFor() != 0) {
            throw new IllegalStateException("huggingface_hub download failed: " + out);
        }
        deleteTree(cache);
        return Double.parseDouble(out.lines().reduce((a, b) -> b).orElseThrow());
    }

    private static void check(Path file) throws IOException {
        if (Files.size(file) == 0) {
            throw new IllegalStateException("empty download " + file);
        }
    }

    /** A file of {@code sizeMb} MiB of pseudo-random bytes, made once and reused. */
    private static Path bigFile(Path work, int sizeMb) throws IOException {
        Path file = work.resolve("big-" + sizeMb + "mb.bin");
        long size = (long) sizeMb << 20;
        if (Files.isRegularFile(file) && Files.size(file) == size) {
            return file;
        }
        Files.createDirectories(work);
        Path tmp = work.resolve(file.getFileName() + ".tmp");
        SplittableRandom random = new SplittableRandom(42);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(tmp)) {
            for (int i = 0; i < sizeMb; i++) {
                for (int k = 0; k < block.length; k += 8) {
                    long v = random.nextLong();
                    for (int b = 0; b < 8; b++) {
                        block[k + b] = (byte) (v >>> (8 * b));
                    }
                }
                out.write(block);
            }
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return file;
    }

    private static Path findScript() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("examples/src/main/python/hub_download_bench.py");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
            if (Files.isRegularFile(dir.resolve("src/main/python/hub_download_bench.py"))) {
                return dir.resolve("src/main/python/hub_download_bench.py");
            }
        }
        throw new IllegalStateException("run from the peft4j checkout: examples/src/main/python/hub_download_bench.py not found");
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
