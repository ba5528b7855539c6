package io.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.bridge.PythonEnvironment;
import io.peft4j.bridge.PythonRuntime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code peft4j setup} against the real environment (PEFT4J_PYTHON, else the managed one). */
class SetupCommandTest {

    private static String[] run(String... args) {
        List<String> all = new ArrayList<>(List.of("setup"));
        all.addAll(List.of(args));
        CliRun run = CliRun.of(all.toArray(String[]::new));
        return new String[] {String.valueOf(run.exitCode()), run.out(), run.err()};
    }

    @Test
    void printPythonPrintsOnlyTheExecutable() {
        String[] result = run("--print-python");
        assertEquals("0", result[0], result[2]);
        assertEquals(PythonEnvironment.resolve().pythonExecutable() + System.lineSeparator(), result[1]);
    }

    @Test
    void setupPrintsTheEnvironmentAndTheVersionsPythonReports() {
        String[] result = run();
        assertEquals("0", result[0], result[2]);
        PythonRuntime python = PythonRuntime.get();
        String torch = (String) python.call("importlib.metadata", "version", "torch");
        String peft = (String) python.call("importlib.metadata", "version", "peft");
        assertTrue(result[1].startsWith("Python environment: " + python.environment().home() + "\n"), result[1]);
        assertTrue(result[1].contains("\n  torch        " + torch + "\n"), result[1]);
        assertTrue(result[1].contains("\n  peft         " + peft + "\n"), result[1]);
        assertTrue(result[1].contains("\n  jep          4.3.1\n"), result[1]);
    }

    @Test
    void mainKnowsTheSetupCommand() {
        CliRun help = CliRun.of("setup", "--help");
        assertEquals(0, help.exitCode(), help.err());
        assertTrue(help.out().startsWith("Usage: peft4j setup"), help.out());
    }
}
