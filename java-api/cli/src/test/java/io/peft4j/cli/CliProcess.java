package io.peft4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the CLI as a user does: a separate JVM ({@code java -cp ... io.peft4j.cli.Main}), with its
 * own environment, its real stdout and stderr, and its exit code.
 *
 * @param exitCode the exit code
 * @param out      what went to stdout
 * @param err      what went to stderr
 * @param seconds  how long the process ran
 */
record CliProcess(int exitCode, String out, String err, double seconds) {

    /** Runs {@code args} with the test JVM's class path, {@code env} added to a copy of this environment ({@code null} values removed). */
    static CliProcess run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile("peft4j-cli", ".out");
        Path err = Files.createTempFile("peft4j-cli", ".err");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            env.forEach((k, v) -> {
                if (v == null) {
                    builder.environment().remove(k);
                } else {
                    builder.environment().put(k, v);
                }
            });
            long start = System.nanoTime();
            Process process = builder.start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError("peft4j " + String.join(" ", args) + " still ran after 120 s");
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new CliProcess(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8), seconds);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** The lines of stderr. */
    List<String> errLines() {
        return err.lines().toList();
    }
}
