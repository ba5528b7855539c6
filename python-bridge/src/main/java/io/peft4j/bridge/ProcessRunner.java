package io.peft4j.bridge;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Runs a command, streaming its merged stdout and stderr line by line. */
final class ProcessRunner {

    private static final int TAIL = 200;

    /**
     * What a finished command left.
     *
     * @param exitCode the exit code
     * @param tail the last lines of output (up to 200)
     */
    record Result(int exitCode, List<String> tail) {

        /** The last line that looks like an error ("ERROR: ...", "...Error: ..."), else the last line. */
        String errorLine() {
            for (int i = tail.size() - 1; i >= 0; i--) {
                String line = tail.get(i).strip();
                if (line.startsWith("ERROR") || line.startsWith("error:") || line.matches("^[A-Za-z_.]*Error: .*")) {
                    return line;
                }
            }
            return tail.isEmpty() ? "(no output)" : tail.getLast().strip();
        }
    }

    private ProcessRunner() {}

    /**
     * Runs {@code command} and waits for it.
     *
     * @param command the program and its arguments
     * @param environment variables to add to this process's environment
     * @param lines receives every output line as it arrives
     * @throws IOException if the program cannot be started
     */
    static Result run(List<String> command, Map<String, String> environment, Consumer<String> lines) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        Process process = builder.start();
        ArrayDeque<String> tail = new ArrayDeque<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                lines.accept(line);
                if (tail.size() == TAIL) {
                    tail.removeFirst();
                }
                tail.addLast(line);
            }
        }
        try {
            return new Result(process.waitFor(), List.copyOf(tail));
        } catch (InterruptedException e) {
            process.destroy();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + command.getFirst(), e);
        }
    }
}
