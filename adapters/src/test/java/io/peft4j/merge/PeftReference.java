package io.peft4j.merge;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code src/test/python/peft_merge_reference.py} with the PEFT venv named by
 * {@code PEFT4J_PYTHON} into a temporary directory, once per JVM and command, and returns its
 * manifest. Tests that need it are skipped, with the reason, when {@code PEFT4J_PYTHON} is unset.
 */
final class PeftReference {

    private static final Map<String, Path> RUNS = new HashMap<>();
    private static final ObjectMapper JSON = new ObjectMapper();

    private PeftReference() {}

    /** The venv's python, or a skipped test. */
    static Path python() {
        String venv = System.getenv("PEFT4J_PYTHON");
        assumeTrue(venv != null && !venv.isBlank(),
                "PEFT4J_PYTHON is not set: the comparison with PEFT needs its venv (e.g. PEFT4J_PYTHON=/tmp/pyenv-dev/venv)");
        Path python = Path.of(venv, "bin", "python");
        assumeTrue(Files.isExecutable(python), "no python at " + python);
        return python;
    }

    /** The directory of {@code command}'s output (merges or soups), made on first use. */
    static synchronized Path run(String command) throws IOException, InterruptedException {
        Path done = RUNS.get(command);
        if (done != null) {
            return done;
        }
        Path out = Files.createTempDirectory("peft4j-" + command + "-").resolve("ref");
        call(command, out.toString());
        RUNS.put(command, out);
        return out;
    }

    /** Runs the script with arguments; fails the test with PEFT's output when it fails. */
    static void call(String... args) throws IOException, InterruptedException {
        Path script = Path.of("src", "test", "python", "peft_merge_reference.py").toAbsolutePath();
        String[] cmd = new String[args.length + 2];
        cmd[0] = python().toString();
        cmd[1] = script.toString();
        System.arraycopy(args, 0, cmd, 2, args.length);
        Path log = Files.createTempFile("peft4j-reference", ".log");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new AssertionError("PEFT reference script failed: " + String.join(" ", args) + "\n" + Files.readString(log));
            }
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** The manifest of a run. */
    static JsonNode manifest(Path run) throws IOException {
        return JSON.readTree(run.resolve("manifest.json").toFile());
    }
}
