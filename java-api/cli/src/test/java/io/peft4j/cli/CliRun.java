package io.peft4j.cli;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the CLI as a user does: {@code java ... io.peft4j.cli.Main ARGS} in a process of its own
 * (this JVM's java and class path, the launcher's JVM flags), stdin closed, stdout and stderr
 * captured, the exit code that {@code System.exit} gave. What the user would see is exactly what a
 * test sees, flushing included.
 *
 * @param exitCode the exit code
 * @param out what went to stdout
 * @param err what went to stderr
 */
record CliRun(int exitCode, String out, String err) {

    /** Longest a command may take in a test: only a hung one gets near it (the demo takes 1-2 minutes alone, 15 on a crowded machine). */
    static final Duration TIMEOUT = Duration.ofMinutes(30);

    /** Runs {@code peft4j ARGS}. */
    static CliRun of(String... args) {
        return run(command(List.of(), args), TIMEOUT);
    }

    /**
     * Runs {@code java <jvmOptions> io.peft4j.cli.Main <args>}; fails if it has not exited within
     * {@code timeout}.
     */
    static CliRun process(Duration timeout, List<String> jvmOptions, String... args) {
        return process(timeout, Map.of(), jvmOptions, args);
    }

    /**
     * As {@link #process(Duration, List, String...)}, with {@code env} applied to a copy of this
     * environment (a null value removes the variable).
     */
    static CliRun process(Duration timeout, Map<String, String> env, List<String> jvmOptions, String... args) {
        return run(command(jvmOptions, args), timeout, env);
    }

    /** The java command line that runs {@code peft4j ARGS}. */
    static List<String> command(String... args) {
        return command(List.of(), args);
    }

    private static List<String> command(List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xss4m"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * Runs {@code peft4j ARGS} on a pseudo-terminal ({@code script} from util-linux), as at an
     * interactive prompt: {@code System.console()} is not null there. The terminal merges stdout and
     * stderr into {@link #out()} with {@code \r\n} line ends.
     */
    static CliRun onTerminal(String... args) {
        String line = String.join(" ", command(args).stream().map(CliRun::shellQuote).toList());
        return run(List.of("script", "--quiet", "--return", "--command", line, "/dev/null"), TIMEOUT);
    }

    /** Starts {@code command} with stdout and stderr going to files beside each other; stdin closed. */
    static Process start(List<String> command, Path outFile, Path errFile) {
        return start(command, outFile, errFile, Map.of());
    }

    private static Process start(List<String> command, Path outFile, Path errFile, Map<String, String> env) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(outFile.toFile()).redirectError(errFile.toFile());
            env.forEach((name, value) -> {
                if (value == null) {
                    builder.environment().remove(name);
                } else {
                    builder.environment().put(name, value);
                }
            });
            Process process = builder.start();
            process.getOutputStream().close();
            return process;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static CliRun run(List<String> command, Duration timeout) {
        return run(command, timeout, Map.of());
    }

    private static CliRun run(List<String> command, Duration timeout, Map<String, String> env) {
        try {
            Path dir = Files.createTempDirectory("peft4j-cli-run");
            Path out = dir.resolve("out");
            Path err = dir.resolve("err");
            Process process = start(command, out, err, env);
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly().waitFor();
                    throw new AssertionError("timed out after " + timeout + ": " + command + "\n" + Files.readString(err));
                }
                return new CliRun(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                process.destroyForcibly();
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static String shellQuote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /** This JVM's class path entries, for tests that build a launcher layout. */
    static List<String> classPath() {
        return List.of(System.getProperty("java.class.path").split(File.pathSeparator));
    }
}
