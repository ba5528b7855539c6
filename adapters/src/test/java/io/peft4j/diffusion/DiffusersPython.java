package io.peft4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs {@code src/test/python/diffusion_reference.py} with the test layer's Python
 * ({@code PEFT4J_PYTHON}, which has diffusers 0.42.1 from python-bridge/requirements-test.txt).
 * Without {@code PEFT4J_PYTHON} the checks are skipped; with it but without diffusers they fail.
 */
final class DiffusersPython {

    private DiffusersPython() {}

    /** The python to run, or a skipped test. */
    static Path python() {
        String env = System.getenv("PEFT4J_PYTHON");
        Assumptions.assumeTrue(env != null && !env.isBlank(), "PEFT4J_PYTHON is not set: skipping the checks against diffusers");
        Path p = Path.of(env);
        Path python = Files.isDirectory(p) ? p.resolve("bin").resolve("python") : p;
        Assumptions.assumeTrue(Files.isExecutable(python), "PEFT4J_PYTHON: no python at " + python);
        return python;
    }

    /** Runs the reference script with {@code args}; fails the test with its output when it fails. */
    static String run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(python().toString(),
                Path.of("src", "test", "python", "diffusion_reference.py").toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), "diffusion_reference.py " + String.join(" ", args)
                + " failed (is diffusers installed? ./peft4j test installs python-bridge/requirements-test.txt):\n" + output);
        return output;
    }
}
