package io.peft4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;

/**
 * Runs the CLI with captured output, as a user at a terminal would see it: in-process
 * ({@link #of}) or in a JVM of its own, as the launcher starts it ({@link #process}).
 *
 * @param exitCode the exit code
 * @param out what went to stdout
 * @param err what went to stderr
 */
record CliRun(int exitCode, String out, String err) {

    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    /**
     * Runs {@code java <jvmOptions> io.peft4j.cli.Main <args>} on this test's class path with the
     * launcher's JVM flags, stdin empty; fails if it has not exited within {@code timeout}.
     */
    static CliRun process(Duration timeout, List<String> jvmOptions, String... args) throws IOException, InterruptedException {
        return process(timeout, Map.of(), jvmOptions, args);
    }

    /**
     * As {@link #process(Duration, List, String...)}, with {@code env} applied to a copy of this
     * environment (a null value removes the variable).
     */
    static CliRun process(Duration timeout, Map<String, String> env, List<String> jvmOptions, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-Xss4m"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile("peft4j-cli", ".out");
        Path err = Files.createTempFile("peft4j-cli", ".err");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            env.forEach((name, value) -> {
                if (value == null) {
                    builder.environment().remove(name);
                } else {
                    builder.environment().put(name, value);
                }
            });
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError("peft4j " + String.join(" ", args) + " did not finish within " + timeout
                        + "; stderr: " + Files.readString(err, StandardCharsets.UTF_8));
            }
            return new CliRun(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
